"""The versioned-text engine: pure functions over Markdown texts and their revisions.

It owns rendering Markdown to safe HTML, splitting a text into sections, comparing two
revisions, merging concurrent edits, attributing lines to revisions and storing revisions
compactly. Documents and meeting minutes both build on it, so nothing here imports Flask, the
database or any other part of ``workspace``: everything takes and returns plain values.

Conventions shared by the modules: a text is split into lines only at ``\\n``, ``\\r\\n`` and
``\\r`` (see :mod:`workspace.texts.lines`); ``index``, ``start`` and ``end`` are 0-based
(``end`` exclusive) while ``number`` is a 1-based line number meant for people.
"""
