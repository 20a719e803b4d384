from sqlalchemy import String, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db

# A unit's materialised path, and its copies on dossiers and tasks. Paths compare byte by byte on every
# database, so that a subtree is the range [path, path with its last character raised) that an index reads:
# PostgreSQL's language collations skip "/" when they compare, and SQLite cannot read a LIKE from an index.
PATH = db.String(255).with_variant(db.String(255, collation="C"), "postgresql")


def ids_on_path(path: str) -> list[int]:
    """The ids of the units on a materialised path, from the root of its tree (the province) down."""
    return [int(part) for part in path.strip("/").split("/") if part]


class _Unindexed(FunctionElement):
    """A column's value that the planner cannot look up in an index (see ``under``)."""

    type = String()
    inherit_cache = True


@compiles(_Unindexed)
def _unindexed(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} || '')"


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return f"+{compiler.process(element.clauses, **kw)}"


def under(path_column, path: str, *, indexed: bool = True):
    """SQL condition: ``path_column`` is ``path`` or a path below it.

    ``indexed=False`` keeps the planner from reading the range from an index. A page of a list sorted by
    another index is cheaper read in that order, stopping after a page, than as a whole subtree to sort;
    SQLite has no statistics on ranges and would take the subtree."""
    if not path:
        raise ValueError("a unit path is never empty")
    end = path[:-1] + chr(ord(path[-1]) + 1)
    value = path_column if indexed else _Unindexed(path_column)
    return and_(value >= path, value < end)


class UnitLevel(db.Model):
    """A level of the administrative tree; levels are data so the two-tier and legacy trees coexist."""

    __tablename__ = "unit_level"

    code: Mapped[str] = mapped_column(db.String(32), primary_key=True)
    name_vi: Mapped[str] = mapped_column(db.String(64))
    name_en: Mapped[str] = mapped_column(db.String(64))
    rank: Mapped[int] = mapped_column(db.Integer)


class AdminUnit(db.Model):
    __tablename__ = "admin_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(32), unique=True)
    name: Mapped[str] = mapped_column(db.String(200))
    level_code: Mapped[str] = mapped_column(db.ForeignKey("unit_level.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    # Materialised path "/1/7/19/": a subtree is one indexed prefix match, no recursive query.
    path: Mapped[str] = mapped_column(PATH, index=True, default="")
    legacy_code: Mapped[str | None] = mapped_column(db.String(32))

    parent: Mapped["AdminUnit | None"] = relationship(remote_side=[id])
    level: Mapped[UnitLevel] = relationship()

    @property
    def province_id(self) -> int:
        # The materialised path starts with the root of the unit's tree: its province.
        return ids_on_path(self.path)[0]

    def ancestors(self) -> list["AdminUnit"]:
        chain, unit = [], self
        while unit is not None:
            chain.append(unit)
            unit = unit.parent
        return chain

    def __repr__(self) -> str:
        return f"<AdminUnit {self.code} {self.name}>"


SUBJECT_KINDS = ("household", "citizen", "clan", "village", "commune", "organisation")


class Subject(db.Model):
    """Who applies for a title: a household, a citizen, a clan, a village or commune as a learning
    community (its ``unit_id`` is that village or commune), or an organisation (agency, school,
    enterprise; its ``unit_id`` is the unit that manages it, commune or province)."""

    __tablename__ = "subject"
    # The report's base: subjects of a kind counted by village.
    __table_args__ = (db.Index("ix_subject_kind_unit", "kind", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(64), unique=True)
    kind: Mapped[str] = mapped_column(db.String(32), index=True)
    name: Mapped[str] = mapped_column(db.String(200))
    address: Mapped[str | None] = mapped_column(db.String(255))
    unit_id: Mapped[int] = mapped_column(db.ForeignKey("admin_unit.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(db.ForeignKey("user_account.id"), index=True)
    # What a kind divides into: an organisation's type (agency, school, enterprise), a citizen's target
    # group (its criteria form: nguoi_dan, nguoi_lao_dong, can_bo_doanh_nhan, hoc_sinh_sinh_vien).
    category: Mapped[str | None] = mapped_column(db.String(32))
    # A citizen's own facts (households keep theirs per member).
    gender: Mapped[str | None] = mapped_column(db.String(8))
    birth_year: Mapped[int | None] = mapped_column(db.Integer)

    unit: Mapped[AdminUnit] = relationship()
    members: Mapped[list["HouseholdMember"]] = relationship(
        back_populates="subject", order_by="HouseholdMember.id", cascade="all, delete-orphan"
    )


class HouseholdMember(db.Model):
    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"), index=True)
    full_name: Mapped[str] = mapped_column(db.String(200))
    birth_year: Mapped[int | None] = mapped_column(db.Integer)
    relation: Mapped[str | None] = mapped_column(db.String(64))
    gender: Mapped[str | None] = mapped_column(db.String(8))
    is_head: Mapped[bool] = mapped_column(db.Boolean, default=False)

    subject: Mapped[Subject] = relationship(back_populates="members")


class SubjectLink(db.Model):
    """A subject that belongs to another: a household in a clan (``clan_member``), a citizen on an
    organisation's staff (``staff``). Derived indicators count along these links, and a procedure lane
    at level ``linked:<relation>`` is the subject linked above."""

    __tablename__ = "subject_link"
    __table_args__ = (
        db.UniqueConstraint("parent_id", "child_id", "relation"),
        db.Index("ix_subject_link_child", "child_id", "relation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"), index=True)
    child_id: Mapped[int] = mapped_column(db.ForeignKey("subject.id"))
    relation: Mapped[str] = mapped_column(db.String(32))
    # A staff member's position, as the organisation writes it.
    position: Mapped[str | None] = mapped_column(db.String(200))

    parent: Mapped[Subject] = relationship(foreign_keys=[parent_id])
    child: Mapped[Subject] = relationship(foreign_keys=[child_id])
