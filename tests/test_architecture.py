"""The edges never write models themselves: every write goes through a service.

import-linter (``lint-imports`` in CI, contracts in pyproject.toml) keeps the apps'
boundaries; what it cannot see is a call. This test reads the edge modules (views,
the API, consumers, the admin, management commands) and fails on any call that
writes a model or a queryset directly, so a new view cannot quietly skip the
service, its audit row and its after-commit event.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EDGES = [
    *sorted((ROOT / "helpdesk" / "views").rglob("*.py")),
    *sorted((ROOT / "helpdesk" / "api").rglob("*.py")),
    *sorted((ROOT / "helpdesk" / "management" / "commands").glob("*.py")),
    *sorted((ROOT / "escalations" / "management" / "commands").glob("*.py")),
    *[ROOT / "helpdesk" / name for name in ("consumers.py", "websocket.py")],
    *sorted((ROOT / "helpdesk").glob("admin*.py")),
    ROOT / "escalations" / "admin.py",
    *sorted((ROOT / "livelisten").rglob("views*.py")),
    *sorted((ROOT / "livelisten").rglob("consumers*.py")),
]
# Methods that write whatever they are called on (a model instance, a manager or a queryset).
WRITING_METHODS = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "create"}
# ``update`` and m2m ``set/add/remove/clear`` are also dict/set methods: flagged only on a
# manager or queryset chain (``X.objects…update()``, ``obj.tags.set()``).
QUERYSET_WRITES = {"update"}
M2M_WRITES = {"set", "add", "remove", "clear"}
QUERYSET_STARTS = {"objects", "filter", "exclude", "all", "select_for_update", "_default_manager"}


def _chain(node: ast.AST) -> list[str]:
    """The attribute names of a call chain, outermost last: ``Ticket.objects.filter(x).update`` -> [.., 'filter', 'update']."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        else:
            if isinstance(node, ast.Name):
                names.append(node.id)
            break
    return names[::-1]


def _is_unsaved_formset_save(call: ast.Call) -> bool:
    # ``formset.save(commit=False)`` builds objects without writing them; the admin then saves them through services.
    return any(
        keyword.arg == "commit" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False
        for keyword in call.keywords
    )


def direct_writes(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method = node.func.attr
        chain = _chain(node.func.value)
        if method in WRITING_METHODS and not _is_unsaved_formset_save(node):
            # ``create`` is also a serializer / form factory name on non-model objects; only a manager's counts.
            if method == "create" and "objects" not in chain:
                continue
            # ``messages.…`` and other helpers named save/delete are not models; calls on ``self``
            # (a view's own method) are not either.
            if chain[:1] in (["self"], ["request"], ["messages"], ["cache"], ["super"]):
                continue
            found.append((node.lineno, ".".join([*chain, method])))
        elif method in QUERYSET_WRITES and QUERYSET_STARTS & set(chain):
            found.append((node.lineno, ".".join([*chain, method])))
        elif method in M2M_WRITES and chain and chain[-1] in {"tags", "members", "groups", "user_permissions", "permissions"}:
            found.append((node.lineno, ".".join([*chain, method])))
    return found


@pytest.mark.parametrize("path", [p for p in EDGES if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
def test_edges_never_write_models_directly(path):
    writes = direct_writes(path.read_text())
    assert not writes, f"{path.relative_to(ROOT)} writes without a service: " + ", ".join(
        f"line {line}: {call}()" for line, call in writes
    )


@pytest.mark.parametrize(
    "source",
    [
        "ticket.save()",
        "ticket.save(update_fields=['status'])",
        "Ticket.objects.create(subject='x')",
        "Ticket.objects.filter(pk=1).update(status='open')",
        "Tag.objects.bulk_create([])",
        "ticket.tags.set([])",
        "team.members.add(user)",
        "user.delete()",
        "Customer.objects.get_or_create(email='a@b')",
    ],
)
def test_the_check_sees_each_kind_of_direct_write(source):
    assert direct_writes(source), source


@pytest.mark.parametrize(
    "source",
    [
        "context.update(extra)",
        "formset.save(commit=False)",
        "messages.success(request, 'x')",
        "request.session.save()",
        "services.ticket_update(actor=user, ticket=ticket)",
        "selected.add(reference)",
        "serializer.create(data)",
    ],
)
def test_the_check_leaves_reads_and_other_objects_alone(source):
    assert not direct_writes(source), source
