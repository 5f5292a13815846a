"""Lean INSERT for many rows whose primary keys nobody needs back (memberships, tags, audit rows).

Django's bulk_create compiles every value through several layers per field; for an import
of 20,000 residents that is most of the write time. Here each field's value is adapted once
(only the types that need it) and the rows go to the driver with executemany. Instances are
built as usual, so field defaults and auto_now values are exactly what bulk_create would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields.related import RelatedField

# Values of these fields go to the driver as they are (str / int / None).
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey, models.AutoField)


def insert_plain(objs: Sequence[models.Model], *, batch_size: int = 500) -> int:
    if not objs:
        return 0
    model = type(objs[0])
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    plain = [isinstance(field, _PLAIN) and not isinstance(field, models.JSONField) for field in fields]
    auto = [
        bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)) for field in fields
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
    relations = [field.is_relation for field in fields]
    rows: list[list[Any]] = []
    for obj in objs:
        row = []
        for field, is_plain, is_auto, is_fk in zip(fields, plain, auto, relations, strict=True):
            value = field.pre_save(obj, True) if is_auto else getattr(obj, field.attname)
            if is_fk and value is None and isinstance(field, RelatedField):
                # Built before its parent was saved (e.g. a membership of a new resident).
                related = field.get_cached_value(obj, None)
                value = related.pk if related is not None else None
            row.append(value if is_plain else field.get_db_prep_save(value, connection))
        rows.append(row)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])
    return len(rows)
