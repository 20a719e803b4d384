"""Procedure packages as files: a folder on disk or a zip an admin uploads, and back to a zip.

A package is ``procedure.json`` (the manifest) at its root, the BPMN/DMN files it lists beside it and
``forms/*.json``. Uploads are hostile until proven otherwise: member names, sizes (declared and real)
and counts are checked before anything is decompressed into memory, and every problem is reported
located at the file it concerns.
"""

import io
import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import Problem, ProcedureError
from .formdata import form_data_forms
from .procedure import MANIFEST_NAME, ProcedurePackage

FORMS_DIR = "forms"


@dataclass(frozen=True)
class PackageLimits:
    max_zip_bytes: int = 10_000_000
    max_file_bytes: int = 2_000_000
    max_total_bytes: int = 20_000_000
    max_members: int = 200


def package_from_files(files: dict[str, bytes], *, origin: str = "") -> ProcedurePackage:
    """Build a package from its files by relative path (``procedure.json``, ``forms/x.json``...)."""
    try:
        manifest = json.loads(files[MANIFEST_NAME])
    except KeyError:
        raise ProcedureError(
            Problem(f"thiếu tệp {MANIFEST_NAME} ở thư mục gốc của gói", file=origin or None)
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProcedureError(
            Problem(f"JSON không hợp lệ: {exc}", file=MANIFEST_NAME, line=getattr(exc, "lineno", None))
        ) from exc
    if not isinstance(manifest, dict):
        raise ProcedureError(Problem("nội dung phải là một đối tượng JSON", file=MANIFEST_NAME))

    errors: list[Problem] = []
    listed: dict[str, dict[str, bytes]] = {}
    for kind in ("bpmn", "dmn"):
        listed[kind] = {}
        names = manifest.get(kind, [])
        if not isinstance(names, list):
            errors.append(Problem(f"'{kind}' phải là danh sách tên tệp", file=MANIFEST_NAME))
            continue
        for name in names:
            # Listed files must sit at the package root; no paths, no hidden files.
            if not isinstance(name, str) or PurePosixPath(name).name != name or name.startswith("."):
                errors.append(Problem(f"tên tệp không hợp lệ trong '{kind}': {name!r}", file=MANIFEST_NAME))
            elif name not in files:
                errors.append(
                    Problem(f"tệp được khai báo trong {MANIFEST_NAME} nhưng không tồn tại", file=name)
                )
            else:
                listed[kind][name] = files[name]
    if errors:
        raise ProcedureError(errors)
    forms = {
        PurePosixPath(path).stem: content
        for path, content in sorted(files.items())
        if PurePosixPath(path).parent.as_posix() == FORMS_DIR and path.endswith(".json")
    }
    # Fields drawn inline in the modeler become forms too; a form file of the same key wins.
    forms = {**form_data_forms(listed["bpmn"], list(listed["bpmn"])), **forms}
    key = manifest.get("key") if isinstance(manifest.get("key"), str) else origin
    return ProcedurePackage(key=key, manifest=manifest, bpmn=listed["bpmn"], dmn=listed["dmn"], forms=forms)


def load_procedure_folder(path) -> ProcedurePackage:
    folder = Path(path)
    if not (folder / MANIFEST_NAME).is_file():
        raise ProcedureError(Problem(f"{folder}: thiếu tệp {MANIFEST_NAME}", file=MANIFEST_NAME))
    files = {
        item.relative_to(folder).as_posix(): item.read_bytes()
        for item in [*folder.glob("*"), *(folder / FORMS_DIR).glob("*.json")]
        if item.is_file()
    }
    return package_from_files(files, origin=folder.name)


def _member_problem(info: zipfile.ZipInfo, limits: PackageLimits) -> str | None:
    name = info.filename
    parts = PurePosixPath(name).parts
    if "\\" in name or name.startswith("/") or ".." in parts or any(ord(c) < 32 for c in name):
        return "đường dẫn không hợp lệ (không được dùng '..', đường dẫn tuyệt đối hay ký tự điều khiển)"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "gói không được chứa liên kết tượng trưng (symlink)"
    if info.file_size > limits.max_file_bytes:
        return f"tệp quá lớn ({info.file_size} byte khi giải nén, tối đa {limits.max_file_bytes} byte)"
    return None


def _strip_wrapper(names: list[str]) -> str:
    """A zip made by compressing the folder itself holds ``<folder>/procedure.json``: accept that too."""
    if MANIFEST_NAME in names:
        return ""
    tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
    if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST_NAME}" in names:
        return f"{next(iter(tops))}/"
    return ""


def load_procedure_zip(data: bytes, *, limits: PackageLimits | None = None) -> ProcedurePackage:
    limits = limits or PackageLimits()
    if len(data) > limits.max_zip_bytes:
        raise ProcedureError(Problem(f"gói quá lớn ({len(data)} byte, tối đa {limits.max_zip_bytes} byte)"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ProcedureError(Problem(f"tệp tải lên không phải gói zip hợp lệ: {exc}")) from exc
    if len(infos) > limits.max_members:
        raise ProcedureError(Problem(f"gói có {len(infos)} tệp, tối đa {limits.max_members}"))
    errors = [
        Problem(message, file=info.filename)
        for info in infos
        if (message := _member_problem(info, limits)) is not None
    ]
    if sum(i.file_size for i in infos) > limits.max_total_bytes:
        errors.append(Problem(f"tổng dung lượng giải nén vượt {limits.max_total_bytes} byte"))
    if errors:
        raise ProcedureError(errors)
    prefix = _strip_wrapper([i.filename for i in infos])
    files = {}
    for info in infos:
        if not info.filename.startswith(prefix):
            continue
        try:
            with archive.open(info) as member:
                # The declared size can lie; never read more than the limit allows.
                content = member.read(limits.max_file_bytes + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise ProcedureError(Problem(f"không đọc được tệp trong gói: {exc}", file=info.filename)) from exc
        if len(content) > limits.max_file_bytes:
            raise ProcedureError(
                Problem(f"tệp quá lớn (hơn {limits.max_file_bytes} byte khi giải nén)", file=info.filename)
            )
        files[info.filename.removeprefix(prefix)] = content
    return package_from_files(files)


def package_files(package: ProcedurePackage) -> dict[str, bytes]:
    """The package's files by relative path, as a folder or a zip holds them."""
    files = {MANIFEST_NAME: (json.dumps(package.manifest, ensure_ascii=False, indent=2) + "\n").encode()}
    files.update(package.bpmn)
    files.update(package.dmn)
    files.update({f"{FORMS_DIR}/{key}.json": content for key, content in package.forms.items()})
    return files


def package_to_zip(package: ProcedurePackage) -> bytes:
    """A zip that ``load_procedure_zip`` reads back into the same package (same sha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(package_files(package).items()):
            # Fixed timestamps: the same version always downloads as the same bytes.
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()
