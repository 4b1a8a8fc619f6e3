"""erasure: audit entries cover personal fields by salted digest; profiles know who was erased

Run ``flask --app workspace audit-verify`` BEFORE upgrading, and keep its output: this
migration re-computes every entry's hash in the new format (a salted digest of the actor's
e-mail, the target's label and the detail instead of their text, see workspace.audit.chain),
so an alteration made before the upgrade would be sealed into the new chain and no longer
found. After upgrading, ``audit-verify`` checks the new chain as usual. The first kept entry
keeps its ``prev_hash`` (the genesis, or the anchor of an earlier prune), so the chain still
starts where it did.

The hashing is copied here, frozen, rather than imported: a later change to the chain's
format must not change what this migration does.

Revision ID: 0011_erasure
Revises: 0010_two_factor
Create Date: 2026-11-26 06:00:00

"""
import hashlib
import json
import secrets
from datetime import UTC

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_erasure'
down_revision = '0010_two_factor'
branch_labels = None
depends_on = None

FIELDS = ('created_at', 'actor_id', 'actor_label', 'action', 'target_type', 'target_id',
          'target_label', 'detail', 'address')
PERSONAL = ('actor_label', 'target_label', 'detail')

entries = sa.table(
    'audit_entries',
    sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
    sa.column('actor_id', sa.Integer()), sa.column('actor_label', sa.String()),
    sa.column('action', sa.String()), sa.column('target_type', sa.String()),
    sa.column('target_id', sa.Integer()), sa.column('target_label', sa.String()),
    sa.column('detail', sa.Text()), sa.column('address', sa.String()),
    sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()),
    sa.column('salts', sa.Text()), sa.column('erased', sa.Text()),
)
head = sa.table('audit_chain_head', sa.column('id', sa.Integer()), sa.column('hash', sa.String()),
                sa.column('entry_id', sa.Integer()))


def _time(moment):
    # Stored naive in UTC (workspace.clock.UTCDateTime).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _digest(salt, text):
    return hashlib.sha256(bytes.fromhex(salt) + (text or '').encode('utf-8')).hexdigest()


def _hash(prev_hash, row, salts):
    values = {name: row._mapping[name] for name in FIELDS}
    values['created_at'] = _time(values['created_at'])
    if salts is not None:
        for name in PERSONAL:
            values[name] = _digest(salts[name], values[name])
    text = json.dumps(values, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256((prev_hash + text).encode('utf-8')).hexdigest()


def _rechain(connection, *, salted):
    """Every entry hashed again in id order (salted: the new format, with new salts)."""
    rows = connection.execute(
        sa.select(entries).order_by(entries.c.id)
    ).fetchall()
    previous = None
    for row in rows:
        prev_hash = row.prev_hash if previous is None else previous
        salts = {name: secrets.token_hex(16) for name in PERSONAL} if salted else None
        new_hash = _hash(prev_hash, row, salts)
        connection.execute(
            entries.update().where(entries.c.id == row.id).values(
                prev_hash=prev_hash,
                hash=new_hash,
                salts=json.dumps(salts, sort_keys=True, separators=(',', ':')) if salted else None,
                erased=None,
            )
        )
        previous = new_hash
    if previous is not None:
        connection.execute(head.update().where(head.c.id == 1).values(hash=previous))


def upgrade():
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salts', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('erased', sa.Text(), nullable=True))
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    # Hashes are unique: rewriting them one row at a time could collide only by a sha256
    # collision, so no constraint needs dropping meanwhile.
    _rechain(op.get_bind(), salted=True)


def downgrade():
    # Back to hashing the texts. Entries erased since the upgrade keep their neutral labels:
    # the old format hashes whatever the row says now.
    _rechain(op.get_bind(), salted=False)
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('erased')
        batch_op.drop_column('salts')
