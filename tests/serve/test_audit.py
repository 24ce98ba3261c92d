"""The audit log: a hash chain that names the first line someone changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from inhouse.serve.audit import GENESIS, AuditLog, line_hash, verify


def write(path: Path, n: int) -> list[str]:
    log = AuditLog(path)
    for i in range(n):
        log.append({"endpoint": "/v1/embeddings", "status": 200, "n": i})
    return path.read_text().splitlines()


def test_each_line_carries_the_hash_of_the_one_before(tmp_path: Path) -> None:
    lines = write(tmp_path / "a.jsonl", 3)
    records = [json.loads(line) for line in lines]
    assert records[0]["prev"] == GENESIS
    assert records[2]["prev"] == line_hash(lines[1].encode())
    assert verify(tmp_path / "a.jsonl").ok and verify(tmp_path / "a.jsonl").lines == 3


def test_a_new_writer_continues_the_chain(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", 2)
    write(tmp_path / "a.jsonl", 2)  # a restart: a fresh AuditLog reads the last line
    assert verify(tmp_path / "a.jsonl").ok


def tampered(tmp_path: Path, change) -> tuple[int | None, str]:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.jsonl"
    lines = write(path, 5)
    change(lines)
    path.write_text("\n".join(lines) + "\n")
    verdict = verify(path)
    return verdict.broken_line, verdict.reason


def test_an_edited_line_is_named(tmp_path: Path) -> None:
    def edit(lines: list[str]) -> None:
        lines[2] = lines[2].replace('"status":200', '"status":403')

    assert tampered(tmp_path, edit) == (3, "its hash does not match its contents: it was edited")


def test_an_edit_with_its_hash_recomputed_breaks_the_next_line(tmp_path: Path) -> None:
    from inhouse.serve import audit

    def forge(lines: list[str]) -> None:
        record = json.loads(lines[1])
        record.pop("hash")
        record["status"] = 500
        lines[1] = json.dumps({**record, "hash": audit._own_hash(record)}, separators=(",", ":"))

    line, reason = tampered(tmp_path, forge)
    assert line == 3 and "does not follow line 2" in reason


def test_removed_and_cut_lines_are_named(tmp_path: Path) -> None:
    assert tampered(tmp_path, lambda lines: lines.pop(1))[0] == 2
    path = tmp_path / "cut.jsonl"
    write(path, 2)
    path.write_bytes(path.read_bytes()[:-10])
    assert verify(path).broken_line == 2 and "incomplete" in verify(path).reason


APPEND = """
import sys
from pathlib import Path
from inhouse.serve.audit import AuditLog
log = AuditLog(Path(sys.argv[1]))
for i in range(50):
    log.append({"worker": sys.argv[2], "n": i})
"""


def test_appends_from_several_processes_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPEND, str(path), str(w)]) for w in range(3)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    verdict = verify(path)
    assert verdict.ok and verdict.lines == 150
