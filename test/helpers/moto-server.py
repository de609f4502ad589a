"""
moto server for the test suite (same arguments as `python3 -m moto.server`), with these changes
that cut its CPU per request and change no answer:

1. DynamoDB AttributeValues are serialized directly instead of by moto's generic serializer
   (about half of moto's time per request in the lambda tests: a read item is ~30 AttributeValues
   and moto walks the ten members of each with name aliases). The code is bench/moto-indexed.py's
   (change 2 there); B and BS still go through moto's own code.
2. Items and tables are not recorded in moto's instance tracker, a debug list behind
   /moto-api/data.json that only a reset empties (bench/moto-indexed.py, change 3).
3. TransactWriteItems keeps, for its rollback, copies of only the items it may write instead of
   copies of their tables: moto's loop deep-copies the whole table once per *item* of the
   transaction (O(table) per TransactWriteItems; a third of moto's time in the property tests,
   where the table grows), and on any failure puts the copy back in the table's place. The items a
   transaction may write are the keys it names (Put, Update, Delete: that key only), so putting
   those items back as they were (or removing the ones that did not exist) is the same rollback.
   Where that cannot be told beforehand (a table with a stream, an unknown table, a key that does
   not parse, an entry that is not exactly one operation) the table is deep-copied, once per table.
4. A ProjectionExpression converts each item to plain JSON once instead of once per projected path:
   moto's `Item.project` calls `to_regular_json()` (a deep copy of the whole item, then boto3's
   deserializer) for every path, and "claim next" projects ten (lambda/store/cases.ts,
   CLAIMABLE_ATTRIBUTES): 10 conversions per case per Query, ~75 % of moto's time in the 100-reader
   burst. `find_nested_key` only reads the item's JSON and `merge_dicts` writes into the result;
   where the result holds a part of that JSON, what it writes there is the same JSON's value at
   the same path, so sharing one conversion changes nothing (the self-check projects overlapping
   and nested paths to show it).

5. Cognito imports its signing key once per process instead of once per user pool: every pool
   signs with the one RSA key shipped in moto's package (moto/cognitoidp/resources), and joserfc's
   import of it costs ≈ 0.1 s of CPU (it validates the key); the harness creates two pools per test
   file. The pools share the imported key object, which signing only reads.

6. Two lookups moto repeats for every request are made once per process: the list of its service
   folders (`backends.list_of_moto_modules`, a directory listing and a `stat` per entry, ≈ 200,
   to tell whether the Host header names a service) and the names of a response class's methods
   (`inspect.getmembers` on the class, to tell whether the action is one). Neither the folder nor
   the classes change while the server runs (every patch here is installed before it serves).
   Together ≈ 13 % of moto's time per request in the lambda tests.

7. Query starts from the queried partition (base table) or the table's items unsorted (an index)
   instead of the whole table sorted: moto's `Table.query` starts from `self.all_items()`, which
   sorts every item of the table by its keys (DynamoType comparisons, ≈ 10 % of moto's time in the
   lambda tests), then keeps the items of the queried partition and sorts those again by their
   keys (the range key; for an index, the index's keys then the table's, unique per item). So the
   order it starts from never shows, and everything after the start (conditions, sorting,
   ExclusiveStartKey, Limit, filters, projections) is still moto's own code. Scan keeps the sort.
   bench/moto-indexed.py's change 1 goes further for its 250,000 items (a cache of index
   partitions, rebuilt after every write); with the tests' interleaved writes and small tables
   that cache would be rebuilt for nearly every query, so it is not used here.
8. Connections are kept alive. Werkzeug's server answers every request with `Connection: close`
   (its handler cannot drain an unread request body without reading into the next request), so
   every AWS call of a test opened a TCP connection, and moto a thread, for one request: 4,205
   connections for the 3,000 requests of reader-api/properties, through the serial proxy twice.
   Here a request's body (its Content-Length, the only framing the SDK and the proxy send) is read
   before the application runs, so nothing of it is left unread and the connection can carry the
   next request. A chunked request body, `Expect: 100-continue` or HTTP/1.0 still gets werkzeug's
   own handling and its `Connection: close`.

One addition that is not about speed of a request: `POST /moto-api/readroom/settings` with a JSON
object sets moto settings that moto otherwise reads from its environment at start-up (S3's part
minimum) or that a test would otherwise start its own moto for (Cognito's TOTP checking), so that
a test file can run on its jest worker's shared moto instead of starting one of its own (2–3 s of
a Python start, more under load). Only RUNTIME_SETTINGS; a setting left out is put back to the
value this process started with. Every file on a shared moto posts its settings (usually none)
after the reset it starts with (test/helpers/moto.ts, `testMoto`). And the server exits when the
process that started it is gone (`exit_with_parent`): a run stopped by Ctrl-C never reaches jest's
teardown, and its emulators used to run on.

`python3 test/helpers/moto-server.py --self-check` runs every DynamoDB call the functions make
(and a few more: every attribute type, ReturnValues, a cancelled transaction with ALL_OLD, a
rollback) against plain and patched moto in one process and exits non-zero on any difference in
an answer or in the table afterwards; test/lambda/moto-server.test.ts runs it in the suite.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import io
import json
import logging
import os
import sys
import threading
import time
from typing import Any

import moto.backends as moto_backends
import moto.cognitoidp.models as cognito_models
import moto.core.responses as moto_responses
import moto.dynamodb.models as dynamodb_models
import moto.s3.models as s3_models
import moto.settings as moto_settings
import moto.dynamodb.models.dynamo_type as dynamo_type
from joserfc import jwk
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
    """
    `copy` as moto.dynamodb.models sees it: inside a transaction, a table is deep-copied once, or
    not at all when the transaction keeps its own item journal (then moto's "backup" is the table
    itself, and putting it back is a no-op).
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, x: Any, memo: Any = None) -> Any:
        backups = getattr(_local, "backups", None)
        if backups is None or not isinstance(x, Table):
            return copy.deepcopy(x, memo)
        if getattr(_local, "journal", None) is not None:
            return x
        if id(x) not in backups:
            backups[id(x)] = copy.deepcopy(x, memo)
        return backups[id(x)]


Journal = list[tuple[Table, Any, Any, Any]]


def _journal(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Journal | None:
    """Each item the transaction may write, as it is now (a deep copy, None when absent); None when that cannot be told."""
    journal: Journal = []
    seen: set[tuple[str, Any, Any]] = set()
    try:
        for entry in transact_items:
            if len(entry) != 1:
                return None
            op_type, op = next(iter(entry.items()))
            if op_type not in ("ConditionCheck", "Put", "Delete", "Update"):
                return None
            name = op["TableName"]
            table = self.tables.get(name)
            if table is None or table.stream_shard is not None:
                return None
            if op_type == "ConditionCheck":
                continue
            key = op["Item"] if op_type == "Put" else op["Key"]
            h = dynamo_type.DynamoType(key[table.hash_key_attr])
            r = dynamo_type.DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
            if (name, h, r) in seen:
                continue
            seen.add((name, h, r))
            if r is None:
                current = table.items.get(h)
            else:
                part = table.items.get(h)
                current = part.get(r) if part is not None else None
            journal.append((table, h, r, copy.deepcopy(current)))
    except Exception:  # noqa: BLE001 - moto reports it; this falls back to moto's own copy
        return None
    return journal


def _roll_back(journal: Journal) -> None:
    for table, h, r, before in reversed(journal):
        if r is None:
            if before is None:
                table.items.pop(h, None)
            else:
                table.items[h] = before
        elif before is None:
            part = table.items.get(h)
            if part is not None:
                part.pop(r, None)
        else:
            table.items[h][r] = before


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
    _local.backups = {} if enabled else None
    _local.journal = _journal(self, transact_items) if enabled else None
    try:
        return _orig_transact(self, transact_items)
    except BaseException:
        # Every failure moto raises once an entry is known to be one operation is one it rolled
        # back from (its loop catches everything and puts the backups back).
        if _local.journal is not None:
            _roll_back(_local.journal)
        raise
    finally:
        _local.backups = None
        _local.journal = None


_orig_project = Item.project


def _project(self: Item, projection_expressions: list[list[str]]) -> Item:
    if not enabled:
        return _orig_project(self, projection_expressions)
    # moto's Item.project, with the item's plain JSON computed once.
    plain = self.to_regular_json()
    result: dict[str, Any] = {}
    for expr in projection_expressions:
        dynamo_type.merge_dicts(result, dynamo_type.find_nested_key(expr, plain))
    return Item(hash_key=self.hash_key, range_key=self.range_key, attrs=dynamo_type.serializer.serialize(result)["M"])


_orig_query = Table.query
_orig_all_items = Table.all_items
_query_signature = inspect.signature(_orig_query)


def _query(self: Table, *args: Any, **kwargs: Any) -> Any:
    if not enabled:
        return _orig_query(self, *args, **kwargs)
    a = _query_signature.bind(self, *args, **kwargs).arguments
    if a.get("index_name") is None and self.range_key_attr and a.get("hash_key") is not None:
        candidates = list(self.items.get(a["hash_key"], {}).values())
    else:
        candidates = [item for held in self.items.values() for item in (held.values() if self.range_key_attr else [held])]
    _local.candidates = (self, candidates)
    try:
        return _orig_query(self, *args, **kwargs)
    finally:
        _local.candidates = None


def _all_items(self: Table) -> list[Any]:
    """moto's, except inside `_query`: the candidates it starts from, in no particular order."""
    candidates = getattr(_local, "candidates", None)
    if candidates is not None and candidates[0] is self:
        return candidates[1]
    return _orig_all_items(self)


class _S3PartMinimum:
    """moto reads S3_UPLOAD_PART_MIN_SIZE (the smallest part but the last of a multipart upload) from
    its environment when moto.settings is imported; moto.s3.models keeps its own copy of the value."""

    parse = staticmethod(int)

    @staticmethod
    def read() -> Any:
        return getattr(s3_models, "S3_UPLOAD_PART_MIN_SIZE")

    @staticmethod
    def write(value: Any) -> None:
        setattr(moto_settings, "S3_UPLOAD_PART_MIN_SIZE", value)
        setattr(s3_models, "S3_UPLOAD_PART_MIN_SIZE", value)


class _Environment:
    """A setting moto reads from its environment each time it is used (moto.settings' getters)."""

    parse = staticmethod(str)

    def __init__(self, name: str) -> None:
        self.name = name

    def read(self) -> Any:
        return os.environ.get(self.name)

    def write(self, value: Any) -> None:
        if value is None:
            os.environ.pop(self.name, None)
        else:
            os.environ[self.name] = str(value)


RUNTIME_SETTINGS: dict[str, Any] = {
    "S3_UPLOAD_PART_MIN_SIZE": _S3PartMinimum(),
    # Cognito checks TOTP codes only with it (moto.settings.get_cognito_idp_user_pool_enable_totp).
    "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": _Environment("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"),
}
_started_with = {name: setting.read() for name, setting in RUNTIME_SETTINGS.items()}


def apply_settings(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(RUNTIME_SETTINGS))
    if unknown:
        raise ValueError(f"not settable at run time: {', '.join(unknown)} (only {', '.join(sorted(RUNTIME_SETTINGS))})")
    parsed = {name: RUNTIME_SETTINGS[name].parse(v) for name, v in values.items()}  # a bad value changes nothing
    for name, setting in RUNTIME_SETTINGS.items():
        setting.write(parsed[name] if name in parsed else _started_with[name])


def _settings_route(app_call: Any) -> Any:
    def call(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/moto-api/readroom/settings":
            return app_call(self, environ, start_response)
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise ValueError("POST a JSON object of settings")
            length = int(environ.get("CONTENT_LENGTH") or 0)
            values = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if not isinstance(values, dict):
                raise ValueError("POST a JSON object of settings")
            apply_settings(values)
            status, body = "200 OK", {name: setting.read() for name, setting in RUNTIME_SETTINGS.items()}
        except (ValueError, TypeError) as e:
            status, body = "400 Bad Request", {"message": str(e)}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return call


class _RSAKeyOncePerProcess:
    """`jwk.RSAKey` as moto.cognitoidp.models uses it (import_key only), each key imported once."""

    _imported: dict[str, Any] = {}

    @classmethod
    def import_key(cls, value: Any, *args: Any, **kwargs: Any) -> Any:
        if not enabled or args or kwargs:
            return jwk.RSAKey.import_key(value, *args, **kwargs)
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        if text not in cls._imported:
            cls._imported[text] = jwk.RSAKey.import_key(value)
        return cls._imported[text]


class _JwkForCognito:
    """joserfc.jwk as moto.cognitoidp.models sees it."""

    RSAKey = _RSAKeyOncePerProcess

    def __getattr__(self, name: str) -> Any:
        return getattr(jwk, name)


_list_of_moto_modules = moto_backends.list_of_moto_modules
_service_folders = tuple(_list_of_moto_modules())
_method_names: dict[type, tuple[str, ...]] = {}
_method_names_from_class = moto_responses.method_names_from_class


def _method_names_once(clazz: type) -> list[str]:
    if clazz not in _method_names:
        _method_names[clazz] = tuple(_method_names_from_class(clazz))
    return list(_method_names[clazz])


def _keep_alive(handler: Any) -> None:
    """Werkzeug's WSGIRequestHandler, answering on the same connection when the request's body is framed by its length."""
    run_wsgi = handler.run_wsgi
    send_header = handler.send_header

    def run(self: Any) -> None:
        length = self.headers.get("Content-Length", "0")
        self._readroom_keep = (
            self.request_version == "HTTP/1.1"
            and "Transfer-Encoding" not in self.headers
            and "Expect" not in self.headers
            and length.isdigit()
            and self.headers.get("Connection", "").lower() != "close"
        )
        if not self._readroom_keep:
            return run_wsgi(self)
        # The body, read here to its end: the application reads it from memory, and werkzeug's
        # drain after the response finds nothing left (it never reads the next request).
        socket_file = self.rfile
        self.rfile = io.BytesIO(socket_file.read(int(length)))
        try:
            return run_wsgi(self)
        finally:
            self.rfile = socket_file

    def header(self: Any, keyword: str, value: str) -> None:
        if getattr(self, "_readroom_keep", False) and keyword.lower() == "connection" and value.lower() == "close":
            return
        send_header(self, keyword, value)

    handler.run_wsgi = run
    handler.send_header = header
    # Werkzeug writes a response's headers and body separately: on a connection that stays open,
    # Nagle's algorithm would hold the body until the client's delayed ACK (≈ 40 ms per request).
    handler.disable_nagle_algorithm = True


def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from werkzeug.serving import WSGIRequestHandler

    _keep_alive(WSGIRequestHandler)

    moto_backends.list_of_moto_modules = lambda: iter(_service_folders)  # type: ignore[assignment]
    moto_responses.method_names_from_class = _method_names_once  # type: ignore[assignment]

    cognito_models.jwk = _JwkForCognito()  # type: ignore[assignment]

    DomainDispatcherApplication.__call__ = _settings_route(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
    Item.project = _project  # type: ignore[method-assign]
    Item.__new__ = indexed._untracked_new  # type: ignore[assignment]
    Table.__new__ = indexed._untracked_new  # type: ignore[assignment]
    indexed.enabled = True
    BaseJSONSerializer._serialize_type_structure = indexed._serialize_type_structure  # type: ignore[method-assign]
    dynamodb_models.copy = _OneCopyPerTable()  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]


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
    # Change 7: a range condition, the second page of an index query, a partition that is not there.
    call("query", TableName="t", KeyConditionExpression="pk = :p AND begins_with(sk, :r)", ExpressionAttributeValues={":p": s("CASE#4"), ":r": s("READ")})
    call("query", TableName="t", IndexName="gsi1", KeyConditionExpression="gsi1pk = :p", ExpressionAttributeValues={":p": s("CASES")}, Limit=2, ExclusiveStartKey={"pk": s("CASE#1"), "sk": s("META"), "gsi1pk": s("CASES"), "gsi1sk": s("01")})
    call("query", TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": s("NONE")})
    call("scan", TableName="t", ConsistentRead=True)
    # Projections with overlapping and nested paths (a map and its member, a list element's member),
    # on a GSI query with a filter as "claim next" runs it, and on a scan.
    proj = {"ProjectionExpression": "pk, sk, m, m.l[1].y, m.x, #s, answers.eyes.OD, answers.eyes, ss, count, nope, m.l[0]", "ExpressionAttributeNames": {"#s": "s"}}
    call("query", TableName="t", IndexName="gsi1", KeyConditionExpression="gsi1pk = :p", FilterExpression="#c >= :z", ExpressionAttributeValues={":p": s("CASES"), ":z": {"N": "0"}}, **{**proj, "ExpressionAttributeNames": {"#s": "s", "#c": "count"}})
    call("scan", TableName="t", ConsistentRead=True, **proj)
    call("get_item", TableName="t", Key=key, ProjectionExpression="m.l[1].b, m.l[1], answers.eyes.OS.vcdr, answers")
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
        # Cancelled by its last item after a delete of an existing item, an update that creates
        # one in a new partition, a put over an existing item and an update of one in place.
        [
            {"Delete": {"TableName": "t", "Key": {"pk": s("CASE#4"), "sk": s("READ#1")}}},
            {"Update": {"TableName": "t", "Key": {"pk": s("NEW"), "sk": s("1")}, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": s("v")}}},
            {"Put": {"TableName": "t", "Item": {"pk": s("CASE#2"), "sk": s("META"), "s": s("over")}}},
            {"Update": {"TableName": "t", "Key": {"pk": s("CASE#4"), "sk": s("META")}, "UpdateExpression": "SET m.x = :v ADD ss :w", "ExpressionAttributeValues": {":v": s("changed"), ":w": {"SS": ["q"]}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": s("CASE#0"), "sk": s("META")}, "ConditionExpression": "attribute_not_exists(pk)"}},
        ],
        # Refused as invalid after two writes (a wrong key type: moto's validation error path).
        [
            {"Update": {"TableName": "t", "Key": {"pk": s("CASE#0"), "sk": s("META")}, "UpdateExpression": "SET #c = :n", "ExpressionAttributeNames": {"#c": "count"}, "ExpressionAttributeValues": {":n": {"N": "5"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": s("T"), "sk": s("4")}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"N": "1"}, "sk": s("5")}}},
        ],
        # A table moto does not have (no journal: moto's own path).
        [
            {"Put": {"TableName": "t", "Item": {"pk": s("T"), "sk": s("6")}}},
            {"Put": {"TableName": "nope", "Item": {"pk": s("T"), "sk": s("7")}}},
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
    # Cognito: the pools' signing key, imported once, is the key moto's package holds.
    from moto.utilities.utils import load_resource

    key_file = load_resource(cognito_models.__name__, "resources/jwks-private.json")
    once = [cognito_models.jwk.RSAKey.import_key(key_file) for _ in range(2)]
    if once[0] is not once[1] or once[0].as_dict(private=True) != jwk.RSAKey.import_key(key_file).as_dict(private=True):
        print("self-check: the Cognito signing key imported once differs from moto's own import", file=sys.stderr)
        return 1
    # The lookups made once per process give what moto computes each time (DynamoHandler twice:
    # the second answer comes from the cache).
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response

    if list(moto_backends.list_of_moto_modules()) != list(_list_of_moto_modules()) or any(
        moto_responses.method_names_from_class(c) != _method_names_from_class(c) for c in (DynamoHandler, S3Response, DynamoHandler)
    ):
        print("self-check: a lookup made once differs from moto's own", file=sys.stderr)
        return 1
    bad = [i for i, (a, b) in enumerate(zip(plain, mine)) if a != b]
    for i in bad[:5]:
        print(f"self-check: call {i} differs:\n  plain   {str(plain[i])[:800]}\n  patched {str(mine[i])[:800]}", file=sys.stderr)
    cancelled = [r for r in plain if r[0] == "transact_write_items" and r[1] == "error"]
    if len(plain) != len(mine) or len(cancelled) != 5:
        print(f"self-check: {len(plain)} vs {len(mine)} calls, {len(cancelled)} refused transactions (expected 5)", file=sys.stderr)
        return 1
    print(f"self-check: {len(plain)} DynamoDB calls, {'identical' if not bad else f'{len(bad)} differ'}")
    return 1 if bad else 0


def exit_with_parent() -> None:
    """Exits when the process that started this one is gone: a test run stopped by Ctrl-C (or
    killed) never reaches its teardown, and its emulators, orphaned, ran on with their memory."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


if __name__ == "__main__":
    exit_with_parent()
    install()
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    # Werkzeug logs every request line to stderr, which the tests only keep the tail of for error
    # messages; warnings and errors are still logged.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import main

    main(sys.argv[1:])
