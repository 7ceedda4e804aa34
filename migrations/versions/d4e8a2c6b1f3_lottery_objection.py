"""lottery_objection (issue 22, receipts): an applicant's objection to the lottery record and the
staff's answer, in their own table instead of the audit log

Until now an objection was an audit entry ``lottery.objection`` whose ``detail`` held the
applicant's text. The audit log is kept longer than the applicants' data and cannot be erased
per person, so the texts move here: each such entry becomes an open objection (found by the
draw and the pseudonym in ``after``), and the entry keeps only the fact and the objection's id
(``detail`` emptied, ``after`` = ``{"objection_id": ..., "state": ...}``). The audit log is
append-only (triggers refuse UPDATE): the triggers are dropped for this one statement and
created again, exactly as in the audit log's migration. An entry whose draw or pseudonym no
longer exists (the event deleted) has no applicant left to answer: its text is emptied too.

Revision ID: d4e8a2c6b1f3
Revises: a5d7e3c9b1f2
Create Date: 2026-12-04 18:50:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8a2c6b1f3'
down_revision = 'a5d7e3c9b1f2'
branch_labels = None
depends_on = None

#: As in migrations/versions/ba0de3b1d9d9_audit_log.py (and app/audit/models.py).
PG_TRIGGER = (
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
)
SQLITE_TRIGGERS = {
    "audit_entry_no_update": "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
                             "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
}


def upgrade():
    op.create_table('lottery_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'answered')", name=op.f('ck_lottery_objection_known_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_lottery_objection_answered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['draw_id'], ['lottery_draw.id'], name=op.f('fk_lottery_objection_draw_id_lottery_draw'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['lottery_entry.id'], name=op.f('fk_lottery_objection_entry_id_lottery_entry'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_objection'))
    )
    with op.batch_alter_table('lottery_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_objection_draw_id'), ['draw_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lottery_objection_entry_id'), ['entry_id'], unique=False)
    _move_objections_out_of_the_audit_log()


def _move_objections_out_of_the_audit_log():
    bind = op.get_bind()
    audit = sa.table('audit_entry', sa.column('id', sa.Integer), sa.column('action', sa.String),
                     sa.column('target_type', sa.String), sa.column('target_id', sa.Integer),
                     sa.column('created_at', sa.DateTime), sa.column('after', sa.JSON), sa.column('detail', sa.Text))
    entry = sa.table('lottery_entry', sa.column('id', sa.Integer), sa.column('draw_id', sa.Integer),
                     sa.column('pseudonym', sa.String))
    objection = sa.Table('lottery_objection', sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),
                         sa.Column('draw_id', sa.Integer), sa.Column('entry_id', sa.Integer),
                         sa.Column('text', sa.Text), sa.Column('created_at', sa.DateTime),
                         sa.Column('status', sa.String(20)))
    rows = bind.execute(sa.select(audit.c.id, audit.c.target_id, audit.c.created_at, audit.c.after, audit.c.detail)
                        .where(audit.c.action == 'lottery.objection', audit.c.target_type == 'lottery_draw')
                        .order_by(audit.c.id)).all()
    if not rows:
        return
    changes = []
    for audit_id, draw_id, created_at, after, text in rows:
        after = json.loads(after) if isinstance(after, str) else (after or {})
        if 'objection_id' in after:
            continue
        entry_id = bind.execute(sa.select(entry.c.id).where(entry.c.draw_id == draw_id,
                                                            entry.c.pseudonym == after.get('pseudonym'))
                                ).scalar_one_or_none()
        new_after = {"state": after.get("state")}
        if entry_id is not None and (text or "").strip():
            objection_id = bind.execute(objection.insert().values(
                draw_id=draw_id, entry_id=entry_id, text=text, created_at=created_at, status='open'
            )).inserted_primary_key[0]
            new_after = {"objection_id": objection_id, **new_after}
        changes.append((audit_id, new_after))
    if not changes:
        return
    dialect = bind.dialect.name
    if dialect == 'postgresql':
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
    elif dialect == 'sqlite':
        op.execute("DROP TRIGGER audit_entry_no_update")
    for audit_id, new_after in changes:
        bind.execute(audit.update().where(audit.c.id == audit_id).values(after=new_after, detail=''))
    if dialect == 'postgresql':
        op.execute(PG_TRIGGER)
    elif dialect == 'sqlite':
        op.execute(SQLITE_TRIGGERS["audit_entry_no_update"])


def downgrade():
    # The texts stay in lottery_objection's place only: a downgrade drops them (they are not
    # written back into the append-only audit log).
    with op.batch_alter_table('lottery_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lottery_objection_entry_id'))
        batch_op.drop_index(batch_op.f('ix_lottery_objection_draw_id'))

    op.drop_table('lottery_objection')
