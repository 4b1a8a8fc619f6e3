"""search: the index of documents, minutes, messages, agenda items and actions

SQLite: an FTS5 table of Italian stems (computed by the application) beside search_entries,
and a trigger that removes its row with the entry. PostgreSQL: a tsvector column with a GIN
index. The index starts empty: run `flask search-reindex` after upgrading a database that
already has content.

Revision ID: 0008_search
Revises: 0007_activity
Create Date: 2026-11-26 01:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008_search'
down_revision = '0007_activity'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('context', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.Column('indexed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_search_entries_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_search_entries_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_search_entries_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_search_entries_kind'))
    )
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_entries_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_entries_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_entries_thread_id'), ['thread_id'], unique=False)
        batch_op.create_index('ix_search_entries_terms', ['terms'], unique=False, postgresql_using='gin')

    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 0')")
        op.execute(
            "CREATE TRIGGER search_entries_fts_delete AFTER DELETE ON search_entries "
            "BEGIN DELETE FROM search_fts WHERE rowid = old.id; END"
        )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS search_entries_fts_delete")
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table('search_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_search_entries_terms', postgresql_using='gin')
        batch_op.drop_index(batch_op.f('ix_search_entries_thread_id'))
        batch_op.drop_index(batch_op.f('ix_search_entries_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_search_entries_group_id'))

    op.drop_table('search_entries')
