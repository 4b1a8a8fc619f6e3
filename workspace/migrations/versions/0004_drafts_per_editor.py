"""drafts per editor: several per person and text; texts kept after a session, one per editor

Revision ID: 0004_drafts_per_editor
Revises: 0003_discussions
Create Date: 2026-11-25 16:27:28.129801

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_drafts_per_editor'
down_revision = '0003_discussions'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get an editor id of their own, made from their id: each was the only
    # draft of its person and text (or the only text kept for its browser), so it stays one.
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editor_id', sa.String(length=32), nullable=True))
    op.execute("UPDATE drafts SET editor_id = 'draft-' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.alter_column('editor_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_drafts_text_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_drafts_text_id'), ['text_id', 'user_id', 'editor_id'])

    with op.batch_alter_table('pending_saves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editor_id', sa.String(length=32), nullable=True))
    op.execute("UPDATE pending_saves SET editor_id = 'pending-' || CAST(id AS VARCHAR(20))")
    with op.batch_alter_table('pending_saves', schema=None) as batch_op:
        batch_op.alter_column('editor_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_pending_saves_token'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_pending_saves_text_id'), ['text_id', 'editor_id'])


def downgrade():
    # Back to one draft per person and text (and one kept text per browser and text): only
    # the newest of each stays.
    op.execute(
        "DELETE FROM drafts WHERE EXISTS (SELECT 1 FROM drafts AS newer"
        " WHERE newer.text_id = drafts.text_id AND newer.user_id = drafts.user_id"
        " AND (newer.updated_at > drafts.updated_at"
        " OR (newer.updated_at = drafts.updated_at AND newer.id > drafts.id)))"
    )
    op.execute(
        "DELETE FROM pending_saves WHERE EXISTS (SELECT 1 FROM pending_saves AS newer"
        " WHERE newer.token = pending_saves.token AND newer.text_id = pending_saves.text_id"
        " AND (newer.created_at > pending_saves.created_at"
        " OR (newer.created_at = pending_saves.created_at AND newer.id > pending_saves.id)))"
    )
    with op.batch_alter_table('pending_saves', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pending_saves_text_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_pending_saves_token'), ['token', 'text_id'])
        batch_op.drop_column('editor_id')

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_drafts_text_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_drafts_text_id'), ['text_id', 'user_id'])
        batch_op.drop_column('editor_id')
