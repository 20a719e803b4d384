"""Plausible Vietnamese households for the demo: gendered names, the wife with her own surname, children
with the father's surname, real relations to the head and birth years that fit them."""

import random
from dataclasses import dataclass

# Common surnames, the most common several times (Nguyễn is about four in ten).
SURNAMES = (
    ("Nguyễn",) * 8
    + ("Trần",) * 3
    + ("Lê",) * 3
    + ("Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô", "Dương", "Lý", "Hồ", "Châu")
)
MIDDLE = {
    "nam": ("Văn", "Văn", "Hữu", "Minh", "Quốc", "Đức", "Công", "Thành", "Hoàng"),
    "nu": ("Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Thu", "Mỹ", "Bích"),
}
GIVEN = {
    "nam": (
        "An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Hùng", "Khang", "Khoa", "Long", "Lộc", "Nam",
        "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Toàn", "Trung", "Tuấn", "Vinh",
    ),
    "nu": (
        "Anh", "Diễm", "Dung", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung", "Oanh",
        "Phượng", "Thảo", "Trang", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến",
    ),
}  # fmt: skip
HEAD, WIFE, HUSBAND, CHILD, FATHER, MOTHER, GRANDCHILD = "Chủ hộ", "Vợ", "Chồng", "Con", "Cha", "Mẹ", "Cháu"


@dataclass(frozen=True)
class Person:
    full_name: str
    gender: str
    birth_year: int
    relation: str
    is_head: bool = False

    @property
    def surname(self) -> str:
        return self.full_name.split()[0]


def name(rng: random.Random, gender: str, surname: str | None = None) -> str:
    return f"{surname or rng.choice(SURNAMES)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


def _other_surname(rng: random.Random, surname: str) -> str:
    while True:
        other = rng.choice(SURNAMES)
        if other != surname:
            return other


def _children(rng: random.Random, surname: str, mother_born: int, year: int, count: int) -> list[Person]:
    children, born = [], mother_born + rng.randint(20, 27)
    for _ in range(count):
        if born > year - 1:
            break
        gender = rng.choice(("nam", "nu"))
        children.append(Person(name(rng, gender, surname), gender, born, CHILD))
        born += rng.randint(2, 5)
    return children


def household(rng: random.Random, year: int, *, surname: str | None = None, male_head: bool | None = None):
    """The members of one household as of ``year``, the head first. ``surname``: the head's (a clan's
    member households); ``male_head``: force who heads it."""
    male_head = rng.random() < 0.8 if male_head is None else male_head
    head_born = rng.randint(1952, 1994)
    if male_head:
        surname = surname or rng.choice(SURNAMES)
        head = Person(name(rng, "nam", surname), "nam", head_born, HEAD, True)
        wife_born = head_born + rng.randint(-1, 5)
        wife = Person(name(rng, "nu", _other_surname(rng, surname)), "nu", wife_born, WIFE)
        members = [head, wife]
        children_surname, mother_born = surname, wife_born
    else:
        # A woman heads it: with her husband living with them, or a widow with her late husband's children.
        surname = surname or rng.choice(SURNAMES)
        head = Person(name(rng, "nu", surname), "nu", head_born, HEAD, True)
        members = [head]
        children_surname = _other_surname(rng, surname)
        if rng.random() < 0.5:
            members.append(
                Person(name(rng, "nam", children_surname), "nam", head_born - rng.randint(0, 5), HUSBAND)
            )
        mother_born = head_born
    children = _children(rng, children_surname, mother_born, year, rng.choice((1, 2, 2, 2, 3)))
    members += children
    if head_born >= 1975 and rng.random() < 0.4:
        # The head's parent(s) live with the family (a man's parents carry his surname on his father's side).
        parents_born = head_born - rng.randint(22, 30)
        if rng.random() < 0.5:
            members.append(Person(name(rng, "nam", surname), "nam", parents_born - rng.randint(0, 4), FATHER))
        members.append(Person(name(rng, "nu", _other_surname(rng, surname)), "nu", parents_born, MOTHER))
    elif children and head_born <= 1970:
        # A grown son's child lives with the grandparents: the son's (= the family's) surname.
        sons = [c for c in children if c.gender == "nam" and c.birth_year + 22 <= year - 1]
        if sons and rng.random() < 0.6:
            born = rng.randint(sons[0].birth_year + 22, year - 1)
            gender = rng.choice(("nam", "nu"))
            members.append(Person(name(rng, gender, children_surname), gender, born, GRANDCHILD))
    return members
