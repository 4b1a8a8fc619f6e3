"""The shared form pieces of workspace/forms.py that are not tested through a page."""

from hypothesis import given
from hypothesis import strategies as st
from wtforms import Form
from wtforms import SelectField as WTFormsSelectField

from workspace.forms import SelectField

values = st.one_of(st.text(max_size=12), st.integers(), st.booleans())
choices = st.lists(st.tuples(values, st.text(max_size=20)), max_size=8)


@given(choices=choices, chosen=st.one_of(st.none(), values), render_kw=st.booleans())
def test_the_quick_select_writes_what_wtforms_writes(choices, chosen, render_kw):
    """Same HTML, character for character, as WTForms' own select (escaping included), for
    any values and labels; options with attributes of their own go through WTForms."""
    if render_kw and choices:
        value, label = choices[0]
        choices = [(value, label, {"disabled": True}), *choices[1:]]

    class Both(Form):
        ours = SelectField(choices=choices, validate_choice=False)
        theirs = WTFormsSelectField(choices=choices, validate_choice=False)

    form = Both(data={"ours": chosen, "theirs": chosen})
    ours = str(form.ours()).replace('id="ours" name="ours"', "")
    theirs = str(form.theirs()).replace('id="theirs" name="theirs"', "")
    assert ours == theirs


def test_an_option_label_is_escaped():
    class One(Form):
        person = SelectField(choices=[("1", 'Anna <b>"Rossi"</b> & co'), ("<2>", "Bruno")])

    html = str(One(data={"person": "<2>"}).person())
    assert '<option value="1">Anna &lt;b&gt;&#34;Rossi&#34;&lt;/b&gt; &amp; co</option>' in html
    assert '<option selected value="&lt;2&gt;">Bruno</option>' in html
