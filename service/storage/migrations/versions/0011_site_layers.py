"""Site layers: the small models of this site's moderators, kept in the shared database so that
every host serves the same one (model/site_layer.py, model/site_store.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_layers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False,
                  comment="current (serving), refused (by the gate), retired (replaced)"),
        sa.Column("general_version", sa.String(120), nullable=True,
                  comment="the general model it was trained on top of"),
        sa.Column("trained_through", sa.DateTime(timezone=True), nullable=True,
                  comment="the latest decision it learnt from"),
        sa.Column("decisions", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False,
                  comment="numpy arrays and JSON (SiteLayer.to_bytes), never a pickle"),
        sa.Column("card", sa.Text, nullable=False, comment="JSON: the gate's verdict and figures"),
    )
    op.create_index("ix_site_layers_state_language", "site_layers", ["state", "language"])


def downgrade() -> None:
    op.drop_index("ix_site_layers_state_language", table_name="site_layers")
    op.drop_table("site_layers")
