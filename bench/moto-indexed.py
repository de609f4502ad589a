"""
moto server (same arguments as `python3 -m moto.server`) made fit for a 60,000 case export
benchmark (bench/api-export.ts). Three changes, none of them to what a request returns:

1. Query visits only the queried partition. moto 5.2's `Table.query` starts from
   `self.all_items()`, i.e. it sorts and walks every item of the table for every Query, and for a
   GSI it re-sorts the whole index partition and walks it again to find ExclusiveStartKey: O(table)
   per request, days for ~61,000 queries over ~250,000 items. Only the candidate list that
   `Table.query` starts from changes; key conditions, sorting, ExclusiveStartKey, Limit, the 1 MB
   page limit, filters, projections, LastEvaluatedKey and errors are still moto's own code:
   - base table (with a range key): the items of `self.items[hash_key]`, the partition moto would
     have kept anyway;
   - GSI/LSI: the index partition, from a per-table cache {index: {hash value(s): items in moto's
     sort order}} rebuilt after any DynamoDB call that may write (moto updates items in place, so
     the cache is keyed by a write generation rather than maintained item by item), cut to begin
     one item before ExclusiveStartKey (binary search with moto's own comparison) and, when only
     the key is tested (no range condition, no legacy filter), to end `Limit + 1` items after it:
     exactly the items moto's loop would look at.
   Anything else (hash-only tables, missing key conditions, unknown indexes, consistent reads on a
   GSI) falls back to moto unchanged.
2. AttributeValues are serialized directly (S, N, BOOL, NULL, SS, NS, M, L) instead of by moto's
   generic serializer, which walks the ten members of every AttributeValue with name aliases
   (~25 ms for a page of reads). B and BS still go through moto's code.
3. Items and tables are not recorded in moto's instance tracker (a debug list that is never
   emptied; see `install`).

`python3 bench/moto-indexed.py --self-check` runs a set of queries (pagination both ways, range
conditions, filters, projections, Select COUNT, GSIs with duplicate and missing keys, a hash-only
GSI, every attribute type, errors) against plain and patched moto in one process, before and after
writes of every kind, and exits non-zero on any difference in any page; the benchmark runs it before
anything is timed.
"""

from __future__ import annotations

import bisect
import inspect
import logging
import sys
import threading
from typing import Any

from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table

_orig_query = Table.query
_orig_serialize_structure = BaseJSONSerializer._serialize_type_structure
_orig_all_items = Table.all_items
_query_signature = inspect.signature(_orig_query)

_local = threading.local()  # the candidate list of the query running on this thread
_cache_lock = threading.Lock()
_generation = 0  # bumped around every DynamoDB backend call that may write
enabled = True  # the self-check compares with this off


def _bump() -> None:
    global _generation
    _generation += 1


# ---------------------------------------------------------------------------------------------
# Candidates


def _sort_attrs(table: Table, index: Any) -> tuple[list[str], list[str | None]]:
    """hash_attrs / range_attrs as Table.query computes them for an index (moto 5.2)."""
    hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    hash_attrs = hash_keys + [table.hash_key_attr]
    if range_keys:
        range_attrs: list[str | None] = [*range_keys, table.range_key_attr]
    elif isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
        range_attrs = [table.range_key_attr, table.range_key_attr]
    else:
        range_attrs = [table.hash_key_attr, table.range_key_attr]
    return hash_attrs, range_attrs


def _index_partitions(table: Table, index: Any) -> dict[tuple[Any, ...], list[Any]]:
    """{index hash value(s): items in moto's sort order}, cached until the next write."""
    with _cache_lock:
        cache = table.__dict__.get("_readroom_index_cache")
        if cache is None or cache[0] != _generation:
            cache = (_generation, {})
            table.__dict__["_readroom_index_cache"] = cache
        parts = cache[1].get(index.name)
        if parts is not None:
            return parts
        hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        parts = {}
        for held in table.items.values():
            for item in held.values() if table.range_key_attr else [held]:
                values = tuple(item.attrs.get(k) for k in hash_keys)
                # What moto keeps: all hash keys present, and all range keys (Table.query's filters).
                if any(v is None for v in values) or not all(item.attrs.get(k) for k in range_keys):
                    continue
                parts.setdefault(values, []).append(item)
        hash_attrs, range_attrs = _sort_attrs(table, index)
        for items in parts.values():
            table.sorted_items(hash_attrs, range_attrs, items)
        cache[1][index.name] = parts
        return parts


def _window(table: Table, items: list[Any], index: Any, a: dict[str, Any]) -> list[Any]:
    """The slice of `items` (sorted ascending) that moto's paging loop can reach."""
    forward = a["scan_index_forward"] is not False
    seq = items if forward else items[::-1]
    start, esk = 0, a["exclusive_start_key"]
    hash_attrs, range_attrs = _sort_attrs(table, index)
    if esk is not None and all(k in esk for k in table._generate_attr_to_sort_by(hash_attrs, range_attrs)):
        # moto skips items while _item_comes_before_dct is true: a prefix of the sorted list.
        before = lambda item: not table._item_comes_before_dct(item, esk, hash_attrs, range_attrs, forward)  # noqa: E731
        start = max(bisect.bisect_left(seq, True, key=before) - 1, 0)
    end = len(seq)
    limit = a["limit"]
    if limit is not None and not a["range_comparison"] and not a["filter_kwargs"]:
        end = min(end, start + 1 + limit + 1)  # every item reached is appended; one more sets LastEvaluatedKey
    return seq[start:end]


def _candidates(table: Table, a: dict[str, Any]) -> list[Any] | None:
    if not table.range_key_attr:
        return None
    index_name = a["index_name"]
    if not index_name:
        if a["hash_key"] is None:
            return None
        return list(table.items.get(a["hash_key"], {}).values())
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    if index is None or (a["consistent_read"] and isinstance(index, GlobalSecondaryIndex)):
        return None  # moto raises the right error
    hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    conditions = dict(a["hash_key_conditions"] or [])
    if sorted(conditions) != sorted(hash_keys):
        return None
    items = _index_partitions(table, index).get(tuple(conditions[k] for k in hash_keys), [])
    return _window(table, items, index, a)


def query(self: Table, *args: Any, **kwargs: Any) -> Any:
    if enabled:
        bound = _query_signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        candidates = _candidates(self, bound.arguments)
        if candidates is not None:
            _local.override = (self, candidates)
            try:
                return _orig_query(self, *args, **kwargs)
            finally:
                _local.override = None
    return _orig_query(self, *args, **kwargs)


def all_items(self: Table) -> list[Any]:
    override = getattr(_local, "override", None)
    if override is not None and override[0] is self:
        return list(override[1])
    return _orig_all_items(self)


# ---------------------------------------------------------------------------------------------
# Response serialization


class _Generic(Exception):
    pass


def _wire(value: Any) -> Any:
    """An AttributeValue as moto's serializer writes it (JSON protocol), for the common types."""
    if not isinstance(value, dict):
        raise _Generic
    out = {}
    for k, v in value.items():
        if v is None:
            continue
        if k in ("S", "N", "BOOL", "NULL", "SS", "NS"):
            out[k] = v
        elif k == "M":
            out[k] = {name: _wire(x) for name, x in v.items()}
        elif k == "L":
            out[k] = [_wire(x) for x in v]
        else:
            raise _Generic  # B / BS (base64) and anything unknown: moto's own code
    return out


def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
    # moto 5.2 serializes every AttributeValue by walking its ten model members with name aliases
    # (~0.3 ms per attribute, ~25 ms for a page of reads): the same output, written directly.
    if enabled and key and shape.name == "AttributeValue" and self.operation_model.service_model.service_name == "dynamodb":
        try:
            self._default_serialize(serialized, _wire(value), shape, key)
            return
        except _Generic:
            pass
    _orig_serialize_structure(self, serialized, value, shape, key)


# Reads; every other backend method (put/update/delete, batch and transact writes, PartiQL,
# restores, table changes …) invalidates the index caches before and after it runs.
_READS = {"query", "scan", "batch_get_item", "transact_get_items", "check_unicity", "default_vpc_endpoint_service"}


def _invalidating(fn: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _bump()
        try:
            return fn(*args, **kwargs)
        finally:
            _bump()

    wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapper


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def install() -> None:
    # moto's BaseModel keeps every instance ever created in `instances_tracked` (only for the
    # /moto-api/data.json debug view). Query deep-copies its results into new Items (~10 KB leaked
    # per request) and TransactWriteItems deep-copies the whole table for its rollback (the size
    # of the table leaked per transaction): GBs at 6,000 cases. Items and tables are not tracked.
    Item.__new__ = _untracked_new  # type: ignore[assignment]
    Table.__new__ = _untracked_new  # type: ignore[assignment]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
    for name, fn in list(vars(DynamoDBBackend).items()):
        if callable(fn) and not name.startswith("_") and name not in _READS and not name.startswith(("get_", "describe_", "list_")):
            setattr(DynamoDBBackend, name, _invalidating(fn))
    for name in ("put_item", "delete_item"):  # direct table writes too
        setattr(Table, name, _invalidating(getattr(Table, name)))


# ---------------------------------------------------------------------------------------------
# Self-check: the same queries, plain vs patched, must give identical pages.


def self_check() -> int:
    import boto3
    from moto import mock_aws

    global enabled
    s = lambda v: {"S": v}  # noqa: E731
    queries: list[dict[str, Any]] = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="ap-northeast-2")
        gsi = lambda n: {  # noqa: E731
            "IndexName": n,
            "KeySchema": [{"AttributeName": f"{n}pk", "KeyType": "HASH"}, {"AttributeName": f"{n}sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
        db.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                gsi("gsi1"),
                gsi("gsi2"),
                {"IndexName": "byN", "KeySchema": [{"AttributeName": "gsi2pk", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}},
            ],
        )

        def put(i: int, j: int) -> dict[str, Any]:
            item = {"pk": s(f"CASE#{i:03d}"), "sk": s(f"READ#{j}"), "n": {"N": str((i * 7 + j) % 13)}, "m": {"M": {"x": s(str(j)), "l": {"L": [{"N": "1.50"}, {"M": {"y": {"BOOL": j % 2 == 0}}}, {"NULL": True}]}}}}
            if j == 1:
                item |= {"b": {"B": bytes([i, 0, 255])}, "bs": {"BS": [b"a", bytes([i])]}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}, "e": s(""), "mb": {"M": {"b": {"B": b"z"}}}}
            if i % 3 != 2:
                # Deliberate duplicates of the GSI range key (tie broken by the table keys).
                item |= {"gsi1pk": s(f"G{i % 2}"), "gsi1sk": s(f"{(i * 5) % 17:02d}")}
            if j == 0:
                item["gsi1pk"] = s("NORANGE")  # hash key without its range key: not in gsi1
                item.pop("gsi1sk", None)
            if (i + j) % 4 == 0:
                item |= {"gsi2pk": s("P"), "gsi2sk": s(f"{j}#{i}")}
            return item

        for i in range(36):
            for j in range(5):
                db.put_item(TableName="t", Item=put(i, j))
        db.put_item(TableName="t", Item={"pk": s("CASE#007"), "sk": s("META")})

        v = lambda **kw: {f":{k}": x for k, x in kw.items()}  # noqa: E731
        for limit in (None, 3, 100):
            lim = {"Limit": limit} if limit else {}
            for fwd in (True, False):
                for pk in ("CASE#007", "CASE#999"):
                    queries.append({"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": v(p=s(pk)), "ScanIndexForward": fwd, **lim})
                queries.append({"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)", "ExpressionAttributeValues": v(p=s("CASE#010"), s=s("READ#")), "ScanIndexForward": fwd, "ConsistentRead": True, **lim})
                queries.append({"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": v(p=s("CASE#011"), a=s("READ#1"), b=s("READ#3")), "ScanIndexForward": fwd, **lim})
                for g in ("G0", "G1", "NORANGE", "NONE"):
                    queries.append({"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": v(p=s(g)), "ScanIndexForward": fwd, **lim})
                queries.append({"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p AND gsi1sk > :k", "ExpressionAttributeValues": v(p=s("G1"), k=s("05")), "ScanIndexForward": fwd, **lim})
                queries.append({"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "FilterExpression": "n > :n", "ExpressionAttributeValues": v(p=s("G0"), n={"N": "5"}), "ScanIndexForward": fwd, **lim})
                queries.append({"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ProjectionExpression": "pk, sk, #m.x", "ExpressionAttributeNames": {"#m": "m"}, "ExpressionAttributeValues": v(p=s("G1")), "ScanIndexForward": fwd, **lim})
                queries.append({"IndexName": "gsi2", "KeyConditionExpression": "gsi2pk = :p AND begins_with(gsi2sk, :b)", "ExpressionAttributeValues": v(p=s("P"), b=s("2#")), "ScanIndexForward": fwd, **lim})
                queries.append({"IndexName": "byN", "KeyConditionExpression": "gsi2pk = :p", "ExpressionAttributeValues": v(p=s("P")), "ScanIndexForward": fwd, **lim})
                queries.append({"KeyConditionExpression": "pk = :p", "FilterExpression": "n < :n", "ExpressionAttributeValues": v(p=s("CASE#020"), n={"N": "7"}), "ScanIndexForward": fwd, **lim})
                queries.append({"KeyConditionExpression": "pk = :p", "Select": "COUNT", "ExpressionAttributeValues": v(p=s("CASE#021")), "ScanIndexForward": fwd, **lim})
        # Errors must stay errors.
        queries.append({"IndexName": "nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": v(p=s("CASE#001"))})
        queries.append({"IndexName": "gsi1", "ConsistentRead": True, "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": v(p=s("G0"))})

        def pages(q: dict[str, Any]) -> list[Any]:
            out: list[Any] = []
            start = None
            for _ in range(1000):
                try:
                    r = db.query(TableName="t", **q, **({"ExclusiveStartKey": start} if start else {}))
                except Exception as e:  # noqa: BLE001
                    return out + [f"error {type(e).__name__}: {e}"]
                r.pop("ResponseMetadata", None)
                out.append(r)
                start = r.get("LastEvaluatedKey")
                if not start:
                    return out
            return out + ["too many pages"]

        def run_all() -> list[list[Any]]:
            return [pages(q) for q in queries]

        def compare(label: str) -> int:
            global enabled
            enabled = False
            plain = run_all()
            enabled = True
            patched = run_all()
            bad = [i for i, (p, q) in enumerate(zip(plain, patched)) if p != q]
            for i in bad[:5]:
                print(f"self-check {label}: query {i} differs: {queries[i]}\n  plain   {str(plain[i])[:800]}\n  patched {str(patched[i])[:800]}", file=sys.stderr)
            n_items = sum(len(p.get("Items", [])) for r in plain for p in r if isinstance(p, dict))
            print(f"self-check {label}: {len(queries)} queries, {sum(len(r) for r in plain)} pages, {n_items} items: {'identical' if not bad else f'{len(bad)} differ'}")
            return len(bad)

        failures = compare("seeded")
        # Writes after the cache was built (in-place update, delete, batch and transact writes)
        # must be seen by the next query.
        db.update_item(TableName="t", Key={"pk": s("CASE#004"), "sk": s("READ#1")}, UpdateExpression="SET gsi1pk = :g, gsi1sk = :k", ExpressionAttributeValues=v(g=s("G1"), k=s("00")))
        db.update_item(TableName="t", Key={"pk": s("CASE#001"), "sk": s("READ#2")}, UpdateExpression="REMOVE gsi1sk")
        db.delete_item(TableName="t", Key={"pk": s("CASE#010"), "sk": s("READ#3")})
        db.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": put(70 + i, 1)}} for i in range(10)] + [{"DeleteRequest": {"Key": {"pk": s("CASE#012"), "sk": s("READ#1")}}}]})
        db.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": put(90, 2)}}, {"Update": {"TableName": "t", "Key": {"pk": s("CASE#003"), "sk": s("READ#4")}, "UpdateExpression": "SET gsi2pk = :p, gsi2sk = :k", "ExpressionAttributeValues": v(p=s("P"), k=s("2#x"))}}])
        failures += compare("after writes")
    return 1 if failures else 0


if __name__ == "__main__":
    install()
    if sys.argv[1:] == ["--self-check"]:
        sys.exit(self_check())
    # Werkzeug logs every request; at ~61,000 requests a pass that is pure overhead (both passes alike).
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import main

    main(sys.argv[1:])
