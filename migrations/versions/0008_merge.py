"""Merge the console's branch with the appointments-to-API chain

Revision ID: 0008_merge
Revises: 0004_console, 0007_api_tokens
"""
from typing import Sequence, Union

revision: str = "0008_merge"
down_revision: Union[str, Sequence[str], None] = ("0004_console", "0007_api_tokens")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
