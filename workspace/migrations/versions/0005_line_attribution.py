"""line attribution kept at snapshot revisions

Revision ID: 0005_line_attribution
Revises: 0004_drafts_per_editor
Create Date: 2026-11-25 16:27:28.129801

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_line_attribution'
down_revision = '0004_drafts_per_editor'
branch_labels = None
depends_on = None


def upgrade():
    # Empty on existing revisions: attribution then replays from the first revision until
    # the text's next snapshot, which keeps it (workspace.revisions.service).
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_keys', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('line_keys')
