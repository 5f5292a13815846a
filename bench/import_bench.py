"""Import benchmark: 20,000 residents from one .xlsx through the real import service.

    python bench/import_bench.py                 # SQLite, 3 runs, 20,000 residents
    python bench/import_bench.py --rows 5000 --repeat 5
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/import_bench.py --postgres

The file is generated once with Faker zh_CN (valid GB 11643 ID numbers, valid mobile numbers,
households of 1–5 people with realistic relations) and cached in /tmp. Each run is a child process
on a fresh database (a new SQLite file, or a new PostgreSQL database), so its peak RSS
(resource.getrusage) is the import's own. A run uploads the file, checks every row, imports it
(the same task code the worker runs), then imports the same file again to time the
no-duplicates path. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "gridgov-bench"
sys.path.insert(0, str(ROOT))
REGIONS = [
    "430102",
    "430103",
    "430104",
    "430105",
    "430111",
    "430121",
    "430181",
    "430202",
    "430521",
    "431102",
    "110105",
    "320102",
    "420106",
    "440106",
    "510104",
    "360102",
    "450103",
]
ESTATES = ["聚江苑", "鸿江苑", "汇江苑", "融江苑", "丽江苑", "锦江苑", "望江苑", "滨江苑"]
GRIDS = ["第一网格", "第二网格", "第三网格"]
ETHNIC = ["汉族"] * 96 + ["土家族", "苗族", "回族", "侗族"]


def _id_number(rng: random.Random, birth: dt.date, male: bool, used: set[str]) -> str:
    from gridgov.transfer.tests.factories import make_id

    while True:
        seq = rng.randrange(0, 500)
        number = make_id(f"{birth:%Y%m%d}", seq, region=rng.choice(REGIONS), male=male)
        if number not in used:
            used.add(number)
            return number


def _birth(rng: random.Random, today: dt.date, low: int, high: int) -> dt.date:
    age = rng.randint(low, high)
    return today - dt.timedelta(days=age * 365 + rng.randrange(365))


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    """A community's roster, one row per resident: 8 estates in 3 grids, households of 1–5."""
    from faker import Faker
    from openpyxl import Workbook

    # The test files' header row: the import template's columns, kept in one place.
    from gridgov.transfer.tests.factories import HEADERS

    fake = Faker("zh_CN")
    Faker.seed(seed)
    rng = random.Random(seed)
    today = dt.date.today()
    used: set[str] = set()
    # A normal (not write-only) workbook, like one saved by Excel or WPS: it records the sheet's
    # dimension up front, which spares a reader a full pass over the XML to find it.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "居民信息"
    sheet.append(HEADERS)
    written = 0
    household_no = 0
    while written < rows:
        estate_index = household_no // 1400 % len(ESTATES)
        within = household_no % 1400
        building, rest = divmod(within, 140)
        unit, rest = divmod(rest, 70)
        floor, door = divmod(rest, 4)
        household_no += 1
        place = [
            GRIDS[estate_index * 3 // len(ESTATES)],
            ESTATES[estate_index],
            f"{building + 1}栋",
            f"{unit + 1}单元",
            f"{floor + 1}{door + 1:02d}",
        ]
        rented = rng.random() < 0.12
        size = rng.choices([1, 2, 3, 4, 5], weights=[33, 36, 18, 9, 4])[0]
        size = min(size, rows - written)
        head_male = rng.random() < 0.55
        head_birth = _birth(rng, today, 26, 88)
        members = [("户主", head_male, head_birth)]
        if size >= 2:
            members.append(
                (
                    "租户" if rented else "配偶",
                    not head_male,
                    _birth(
                        rng,
                        today,
                        max(20, (today - head_birth).days // 365 - 4),
                        (today - head_birth).days // 365 + 3,
                    ),
                )
            )
        for _ in range(size - len(members)):
            head_age = (today - head_birth).days // 365
            if head_age > 50 and rng.random() < 0.3:
                members.append(
                    (
                        "父母",
                        rng.random() < 0.4,
                        _birth(rng, today, min(head_age + 20, 100), min(head_age + 32, 104)),
                    )
                )
            elif head_age > 55 and rng.random() < 0.5:
                members.append(("孙子女", rng.random() < 0.5, _birth(rng, today, 1, 14)))
            else:
                members.append(("子女", rng.random() < 0.5, _birth(rng, today, 1, max(2, head_age - 22))))
        moved_in = today - dt.timedelta(days=rng.randrange(30, 30 * 365))
        for relation, male, birth in members:
            age = (today - birth).days // 365
            tags = []
            if age >= 80:
                tags.append("高龄老人")
            if age >= 65 and size == 1:
                tags.append("独居老人")
            elif age >= 60 and size <= 2 and rng.random() < 0.4:
                tags.append("空巢老人")
            if rng.random() < 0.015:
                tags.append("残疾人")
            if relation == "户主" and rng.random() < 0.02:
                tags.append("困难户/低保")
            if male and 22 <= age <= 60 and rng.random() < 0.02:
                tags.append("退役军人")
            if not male and 15 <= age <= 49 and rng.random() < 0.3:
                tags.append("育龄妇女")
            status = "流动" if rented else ("户籍" if rng.random() < 0.85 else "常住")
            political = (
                "中共党员"
                if age >= 25 and rng.random() < 0.08
                else ("共青团员" if 14 <= age <= 28 and rng.random() < 0.3 else "群众")
            )
            sheet.append(
                [
                    *place,
                    "出租" if rented else "自住",
                    fake.name_male() if male else fake.name_female(),
                    "男" if male else "女",
                    _id_number(rng, birth, male, used),
                    fake.phone_number() if age >= 14 else "",
                    rng.choice(ETHNIC),
                    relation,
                    status,
                    political,
                    (fake.company() if rng.random() < 0.7 else fake.job())
                    if 18 <= age <= 62
                    else ("退休" if age > 62 else ""),
                    "、".join(tags),
                    max(moved_in, birth).isoformat(),
                ]
            )
            written += 1
    workbook.save(path)


def child(file: Path, label: str) -> None:
    """One run on a fresh database; prints one JSON line."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ["GRIDGOV_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.uploadedfile import UploadedFile
    from django.core.management import call_command

    from gridgov.accounts.models import Role
    from gridgov.accounts.scope import SYSTEM
    from gridgov.accounts.services import role_grant, user_create
    from gridgov.people.models import Membership, Resident
    from gridgov.places.models import Household, PlaceKind
    from gridgov.places.services import place_create
    from gridgov.transfer import services
    from gridgov.transfer.models import ImportJob

    # Every import goes through the task queue; the immediate backend runs it in this process.
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gridgov-bench-uploads-"))
    call_command("migrate", verbosity=0)
    street = place_create(by=SYSTEM, parent=None, kind=PlaceKind.STREET, name="芙蓉北路街道")
    community = place_create(by=SYSTEM, parent=street, kind=PlaceKind.COMMUNITY, name="金泰路社区")
    for grid in GRIDS:
        place_create(by=SYSTEM, parent=community, kind=PlaceKind.GRID, name=grid)
    secretary = user_create(by=SYSTEM, username="bench", password="Bench-pass-2026", validate=False)
    role_grant(by=SYSTEM, user=secretary, role=Role.objects.get(code="community_secretary"), place=community)

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def run_once() -> tuple[float, float, float, ImportJob]:
        cpu_started = cpu()
        started = time.perf_counter()
        with file.open("rb") as handle:
            uploaded = UploadedFile(handle, name=file.name, size=file.stat().st_size)
            job = services.import_upload(by=secretary, place=community, kind="residents", uploaded=uploaded)
        job.refresh_from_db()
        checked = time.perf_counter()
        assert job.status == "ready", (job.status, job.message)
        services.import_confirm(by=secretary, job=job, mode="good_rows")
        job.refresh_from_db()
        assert job.status == "done", (job.status, job.message)
        return checked - started, time.perf_counter() - checked, cpu() - cpu_started, job

    check_s, import_s, cpu_s, job = run_once()
    recheck_s, reimport_s, _, again = run_once()
    result = {
        "label": label,
        "rows": job.total_rows,
        "bad_rows": job.bad_rows,
        "check_s": round(check_s, 2),
        "import_s": round(import_s, 2),
        "total_s": round(check_s + import_s, 2),
        "cpu_s": round(cpu_s, 2),
        "reimport_s": round(recheck_s + reimport_s, 2),
        "residents": Resident.objects.count(),
        "households": Household.objects.count(),
        "memberships": Membership.objects.count(),
        "created": job.residents_created,
        "reimport_created": again.residents_created,
        "reimport_unchanged": again.residents_unchanged,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result, ensure_ascii=False))


def _spawn(file: Path, label: str, env: dict[str, str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", str(file), "--label", label],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if output.returncode != 0:
        sys.stderr.write(output.stdout + output.stderr)
        raise SystemExit(f"run {label} failed")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _postgres_env(base_url: str, name: str) -> dict[str, str]:
    import psycopg

    server = base_url.rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return {"DATABASE_URL": f"{server}/{name}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also run on DATABASE_URL's server")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.label)
        return

    CACHE.mkdir(exist_ok=True)
    file = CACHE / f"residents-v2-{args.rows}.xlsx"
    if not file.exists():
        started = time.perf_counter()
        generate(file, args.rows)
        print(
            f"generated {file} ({file.stat().st_size / 1024 / 1024:.1f} MB) in {time.perf_counter() - started:.1f}s"
        )
    results: list[dict] = []
    targets = [("sqlite", None)]
    if args.postgres:
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            raise SystemExit("--postgres needs DATABASE_URL=postgres://user@host:port/db")
        targets.append(("postgresql", os.environ["DATABASE_URL"]))
    for database, url in targets:
        for run in range(1, args.repeat + 1):
            env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
            data_dir = tempfile.mkdtemp(prefix="gg-bench-")
            env["GRIDGOV_DATA_DIR"] = data_dir
            if url:
                env.update(_postgres_env(url, f"gg_c_bench_{run}"))
            result = _spawn(file, f"{database} #{run}", env)
            results.append({**result, "database": database})
            print(json.dumps(result, ensure_ascii=False), flush=True)

    print()
    print(
        f"{'run':<14}{'rows':>7}{'check s':>9}{'import s':>10}{'total s':>9}{'CPU s':>7}{'rows/s':>8}"
        f"{'re-import s':>13}{'peak RSS MB':>13}"
    )
    for row in results:
        print(
            f"{row['label']:<14}{row['rows']:>7}{row['check_s']:>9}{row['import_s']:>10}{row['total_s']:>9}"
            f"{row['cpu_s']:>7}"
            f"{row['rows'] / row['total_s']:>8.0f}{row['reimport_s']:>13}{row['peak_rss_mb']:>13}"
        )
    for database in dict.fromkeys(row["database"] for row in results):
        runs = [row for row in results if row["database"] == database]
        total = statistics.median(row["total_s"] for row in runs)
        print(
            f"{database}: median {total:.1f}s (CPU {statistics.median(row['cpu_s'] for row in runs):.1f}s) for {runs[0]['rows']} rows = {runs[0]['rows'] / total:.0f} rows/s; "
            f"re-import median {statistics.median(row['reimport_s'] for row in runs):.1f}s "
            f"(created {runs[0]['reimport_created']}, unchanged {runs[0]['reimport_unchanged']}); "
            f"peak RSS max {max(row['peak_rss_mb'] for row in runs)} MB"
        )


if __name__ == "__main__":
    main()
