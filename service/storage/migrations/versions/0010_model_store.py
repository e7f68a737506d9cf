"""The model store in the database: versions (card, sha256, bytes), the pointer to the one in
service and the history of promotions, rollbacks and refusals, so every host serves the same model
(`model/database_store.py`; used when MODERATION_MODEL_STORE says `database`).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_artifacts",
        sa.Column("stem", sa.String(100), primary_key=True,
                  comment="The version's name, e.g. moderation-20261204-182358"),
        sa.Column("card", sa.JSON(), nullable=False,
                  comment="The version's card, as <stem>.json holds it"),
        sa.Column("sha256", sa.String(64), nullable=False,
                  comment="sha256 of content; equal to the card's artifact_sha256"),
        sa.Column("size", sa.Integer(), nullable=False, comment="Length of content in bytes"),
        sa.Column("content", sa.LargeBinary(), nullable=False, comment="The joblib file"),
        sa.Column("stored_at", sa.String(32), nullable=False, comment="ISO 8601 UTC"),
    )
    op.create_table(
        "model_pointer",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("stem", sa.String(100), sa.ForeignKey("model_artifacts.stem"), nullable=True,
                  comment="The version in service on every host"),
        sa.Column("changed_at", sa.String(32), nullable=True, comment="ISO 8601 UTC"),
        sa.CheckConstraint("id = 1", name="ck_model_pointer_single_row"),
    )
    op.create_table(
        "model_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.String(32), nullable=False, comment="ISO 8601 UTC"),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("previous", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("action IN ('promote', 'rollback', 'refused')",
                           name="ck_model_history_action"),
    )


def downgrade() -> None:
    op.drop_table("model_history")
    op.drop_table("model_pointer")
    op.drop_table("model_artifacts")
