"""withdrawn index: a partial index of the withdrawn messages, for the unread counts

The unread count of a thread is its last number, less what the person read, less the
withdrawn messages after that (workspace.discussions.service.unread_counts): this index makes
the last part a lookup of the few withdrawn messages instead of a walk through the thread.

Revision ID: 0012_withdrawn_index
Revises: 0011_erasure
Create Date: 2026-11-26 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_withdrawn_index'
down_revision = '0011_erasure'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(
            'ix_messages_withdrawn', ['thread_id', 'number'], unique=False,
            sqlite_where=sa.text('withdrawn_at IS NOT NULL'),
            postgresql_where=sa.text('withdrawn_at IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_withdrawn')
