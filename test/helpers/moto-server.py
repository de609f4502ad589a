"""
moto server for the test suite (same arguments as `python3 -m moto.server`), with three changes
that cut its CPU per request and change no answer:

1. DynamoDB AttributeValues are serialized directly instead of by moto's generic serializer
   (about half of moto's time per request in the lambda tests: a read item is ~30 AttributeValues
   and moto walks the ten members of each with name aliases). The code is bench/moto-indexed.py's
   (change 2 there); B and BS still go through moto's own code.
2. Items and tables are not recorded in moto's instance tracker, a debug list behind
   /moto-api/data.json that only a reset empties (bench/moto-indexed.py, change 3).
3. TransactWriteItems copies each table once for its rollback instead of once per item of the
   transaction: moto's loop deep-copies the table for every item and keeps the last copy, and all
   copies are taken before anything is written, so one copy is the same backup.

bench/moto-indexed.py's third change (Query visiting one partition) is NOT used here.

`python3 test/helpers/moto-server.py --self-check` runs every DynamoDB call the functions make
(and a few more: every attribute type, ReturnValues, a cancelled transaction with ALL_OLD, a
rollback) against plain and patched moto in one process and exits non-zero on any difference in
an answer or in the table afterwards; test/lambda/moto-server.test.ts runs it in the suite.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import sys
import threading
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

_spec = importlib.util.spec_from_file_location("moto_indexed", os.path.join(os.path.dirname(__file__), "..", "..", "bench", "moto-indexed.py"))
indexed = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(indexed)  # type: ignore[union-attr]

_local = threading.local()
_orig_transact = DynamoDBBackend.transact_write_items
enabled = True  # the self-check compares with this off


class _OneCopyPerTable:
    """`copy` as moto.dynamodb.models sees it: inside a transaction, a table is deep-copied once."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, x: Any, memo: Any = None) -> Any:
        backups = getattr(_local, "backups", None)
        if backups is None or not isinstance(x, Table):
            return copy.deepcopy(x, memo)
        if id(x) not in backups:
            backups[id(x)] = copy.deepcopy(x, memo)
        return backups[id(x)]


def _transact_write_items(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
    _local.backups = {} if enabled else None
    try:
        return _orig_transact(self, *args, **kwargs)
    finally:
        _local.backups = None


def install() -> None:
    Item.__new__ = indexed._untracked_new  # type: ignore[assignment]
    Table.__new__ = indexed._untracked_new  # type: ignore[assignment]
    indexed.enabled = True
    BaseJSONSerializer._serialize_type_structure = indexed._serialize_type_structure  # type: ignore[method-assign]
    dynamodb_models.copy = _OneCopyPerTable()  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------
# Self-check: the same calls, plain vs patched, must give identical answers and tables.


def _calls(db: Any) -> list[Any]:
    s = lambda v: {"S": v}  # noqa: E731
    out: list[Any] = []

    def call(name: str, **kw: Any) -> None:
        try:
            r = getattr(db, name)(**kw)
            r.pop("ResponseMetadata", None)
            r.pop("TableDescription", None)  # creation times
            out.append((name, r))
        except Exception as e:  # noqa: BLE001
            out.append((name, "error", type(e).__name__, str(e), getattr(e, "response", {}).get("CancellationReasons")))

    db.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}],
    )
    every = {
        "s": s("x"), "e": s(""), "n": {"N": "1.50"}, "neg": {"N": "-0.25"}, "t": {"BOOL": True}, "f": {"BOOL": False}, "z": {"NULL": True},
        "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"\x01"]}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]},
        "m": {"M": {"x": s("1"), "l": {"L": [{"N": "1"}, {"M": {"y": {"BOOL": True}, "b": {"B": b"z"}}}, {"NULL": True}, {"L": []}]}, "em": {"M": {}}}},
        "answers": {"M": {"eyes": {"M": {eye: {"M": {"icdrLevel": s("none"), "vcdr": {"N": "0.3"}}} for eye in ("OD", "OS")}}, "participant": {"M": {}}}},
    }
    for i in range(6):
        item = {"pk": s(f"CASE#{i}"), "sk": s("META"), "gsi1pk": s("CASES"), "gsi1sk": s(f"{i:02d}"), "count": {"N": str(i)}, **(every if i % 2 == 0 else {"s": s(str(i))})}
        call("put_item", TableName="t", Item=item)
        call("put_item", TableName="t", Item={"pk": s(f"CASE#{i}"), "sk": s("READ#1"), **every})
    key = {"pk": s("CASE#0"), "sk": s("META")}
    call("get_item", TableName="t", Key=key, ConsistentRead=True)
    call("get_item", TableName="t", Key={"pk": s("CASE#0"), "sk": s("NOPE")})
    call("get_item", TableName="t", Key=key, ProjectionExpression="m.l, #s", ExpressionAttributeNames={"#s": "s"})
    call("query", TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("CASE#2")})
    call("query", TableName="t", IndexName="gsi1", KeyConditionExpression="gsi1pk = :p", ExpressionAttributeValues={":p": s("CASES")}, Limit=2, ScanIndexForward=False)
    call("query", TableName="t", KeyConditionExpression="pk = :p", Select="COUNT", ExpressionAttributeValues={":p": s("CASE#2")})
    call("scan", TableName="t", ConsistentRead=True)
    call("scan", TableName="t", Limit=3, FilterExpression="#c > :n", ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":n": {"N": "1"}})
    call("batch_get_item", RequestItems={"t": {"Keys": [key, {"pk": s("CASE#1"), "sk": s("META")}]}})
    call("transact_get_items", TransactItems=[{"Get": {"TableName": "t", "Key": key}}, {"Get": {"TableName": "t", "Key": {"pk": s("X"), "sk": s("Y")}}}])
    call("update_item", TableName="t", Key=key, UpdateExpression="SET #c = #c + :one ADD ss :x", ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": {"N": "1"}, ":x": {"SS": ["w"]}}, ReturnValues="ALL_NEW")
    call("update_item", TableName="t", Key=key, UpdateExpression="REMOVE b", ReturnValues="ALL_OLD")
    call("update_item", TableName="t", Key=key, UpdateExpression="SET s = :v", ConditionExpression="s = :no", ExpressionAttributeValues={":v": s("v"), ":no": s("no")}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    call("put_item", TableName="t", Item={"pk": s("CASE#1"), "sk": s("META"), "s": s("new")}, ReturnValues="ALL_OLD")
    call("delete_item", TableName="t", Key={"pk": s("CASE#3"), "sk": s("META")}, ReturnValues="ALL_OLD")
    call("batch_write_item", RequestItems={"t": [{"PutRequest": {"Item": {"pk": s("B"), "sk": s(str(j)), **every}}} for j in range(3)] + [{"DeleteRequest": {"Key": {"pk": s("CASE#5"), "sk": s("READ#1")}}}]})
    # A transaction that succeeds, one cancelled by its third item (the first two must be rolled
    # back; ALL_OLD returns the item), and one refused as invalid (two items on one key).
    call("transact_write_items", TransactItems=[
        {"Update": {"TableName": "t", "Key": key, "UpdateExpression": "SET #c = :n", "ExpressionAttributeNames": {"#c": "count"}, "ExpressionAttributeValues": {":n": {"N": "7"}}}},
        {"Put": {"TableName": "t", "Item": {"pk": s("T"), "sk": s("1"), **every}, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Delete": {"TableName": "t", "Key": {"pk": s("B"), "sk": s("0")}}},
    ])
    for items in (
        [
            {"Update": {"TableName": "t", "Key": key, "UpdateExpression": "SET #c = :n", "ExpressionAttributeNames": {"#c": "count"}, "ExpressionAttributeValues": {":n": {"N": "99"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": s("T"), "sk": s("2"), **every}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": s("CASE#2"), "sk": s("META")}, "ConditionExpression": "s = :no", "ExpressionAttributeValues": {":no": s("no")}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        ],
        [
            {"Put": {"TableName": "t", "Item": {"pk": s("T"), "sk": s("3")}}},
            {"Delete": {"TableName": "t", "Key": {"pk": s("T"), "sk": s("3")}}},
        ],
    ):
        call("transact_write_items", TransactItems=items)
    call("scan", TableName="t", ConsistentRead=True)
    return out


def self_check() -> int:
    import boto3
    from moto import mock_aws

    global enabled
    results = []
    for patched in (False, True):
        enabled = indexed.enabled = patched
        with mock_aws():
            results.append(_calls(boto3.client("dynamodb", region_name="ap-northeast-2")))
    enabled = indexed.enabled = True
    plain, mine = results
    bad = [i for i, (a, b) in enumerate(zip(plain, mine)) if a != b]
    for i in bad[:5]:
        print(f"self-check: call {i} differs:\n  plain   {str(plain[i])[:800]}\n  patched {str(mine[i])[:800]}", file=sys.stderr)
    cancelled = [r for r in plain if r[0] == "transact_write_items" and r[1] == "error"]
    if len(plain) != len(mine) or len(cancelled) != 2:
        print(f"self-check: {len(plain)} vs {len(mine)} calls, {len(cancelled)} refused transactions (expected 2)", file=sys.stderr)
        return 1
    print(f"self-check: {len(plain)} DynamoDB calls, {'identical' if not bad else f'{len(bad)} differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    install()
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    # Werkzeug logs every request line to stderr, which the tests only keep the tail of for error
    # messages; warnings and errors are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import main

    main(sys.argv[1:])
