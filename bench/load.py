"""Load runner: the production server under 16 connections, the real endpoints against two baselines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/load.py            # 3 runs
    python bench/load.py --runs 5 --duration 15 --connections 16
    python bench/load.py --server granian --only queue,baseline_list                     # compare servers
    python bench/load.py --kill                                                          # nothing acknowledged is lost

Needs a database holding the demo community (`python -m gridgov demo`) and, to mean anything,
the generated history (`bench/gen_cases.py`). The runner prepares what the clients send (an API
token for 网格员 grid1, one for the street's and the community's managers, a session for grid1's
pages, an external-system API key with a high limit), starts `python -m gridgov serve` (or
granian on the same WSGI app) with `GRIDGOV_BENCH_BASELINES=1`, and then, in every run, measures
each endpoint for `--duration` seconds with wrk (`--latency`; 16 connections over 2 threads):

    baseline_insert  POST /bench/insert            one ORM INSERT                (the intake's baseline)
    baseline_list    GET  /bench/list              twenty rows through the ORM   (every read's baseline)
    floor_page       GET  /bench/page              a signed-in page showing nothing (ratio to the queue)
    floor_intake     POST /bench/insert-triaged    triage of a text, then one ORM INSERT
    queue            GET  /api/v1/cases?queue=mine grid1's queue, bearer token (20 a page, the default)
    queue50          GET  …&page_size=50           the same, 50 a page
    workbench        GET  /cases/                  grid1's workbench page, session
    case_page        GET  /cases/<id>/             a case in grid1's queue
    stats_street     GET  /api/v1/cases/stats?place=<street>
    stats_community  GET  /api/v1/cases/stats?place=<community>
    intake           POST /api/v1/intake           external system, new client_key every request

Intake cases land at buildings of the third grid (not grid1's queue) and are closed by SQL after
each run, so the open work stays the few hundred the generator made and the history grows.
The table gives medians over the runs of requests/s, p50 and p99, and the ratio to the baseline
measured in the same run (the median of the per-run ratios): on a shared machine absolute numbers
move with the neighbours' load, ratios within a run much less. Peak RSS is the largest resident
set any app worker reached, sampled every 0.2 s.

`--kill`: 16 Python clients post intakes, each with its own client_key, retrying the same key on
any connection error or 5xx until they get an answer; meanwhile app workers are SIGKILLed
(the master respawns them) and once the whole server is killed and started again. Afterwards
every key answered 201 must be in the database exactly once, with the id the answer gave.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable

# endpoint → the baseline its ratio is taken against
BASELINE_OF = {
    "intake": "baseline_insert",
    "queue": "baseline_list",
    "queue50": "baseline_list",
    "workbench": "baseline_list",
    "case_page": "baseline_list",
    "stats_street": "baseline_list",
    "stats_community": "baseline_list",
    # Floors: what the unavoidable part alone leaves of the target's budget.
    "floor_page": "queue",
    "floor_intake": "baseline_insert",
}
ORDER = [
    "baseline_insert",
    "baseline_list",
    "floor_intake",
    "queue",
    "floor_page",
    "queue50",
    "workbench",
    "case_page",
    "intake",
    # Last: a slow endpoint leaves requests queued in the server after wrk stops.
    "stats_street",
    "stats_community",
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


# --- what the clients send -----------------------------------------------------------------------


@dataclass
class Prepared:
    worker_token: str
    street_token: str
    community_token: str
    session_cookie: str
    api_key: str
    api_key_id: int
    intake_places: list[int]
    case_id: int
    street_id: int
    community_id: int


def prepare() -> Prepared:
    """Tokens, a session, an API key and the ids the requests name (in this process, then closed)."""
    from django.conf import settings
    from django.db import connections
    from django.test import Client

    from gridgov.accounts.models import User
    from gridgov.accounts.services import api_token_create
    from gridgov.cases import selectors, services
    from gridgov.demo import builder
    from gridgov.places.models import Place, PlaceKind

    community = builder.find_demo()
    if community is None:
        raise SystemExit("没有演示社区：先运行 python -m gridgov demo 和 bench/gen_cases.py")
    street = community.parent
    assert street is not None
    users = {
        u.username: u for u in User.objects.filter(username__in=["grid1", "street", "secretary", "admin"])
    }
    stamp = time.strftime("%Y%m%d%H%M%S")
    _, worker_token = api_token_create(user=users["grid1"], name=f"压测 {stamp}")
    _, street_token = api_token_create(user=users["street"], name=f"压测 {stamp}")
    _, community_token = api_token_create(user=users["secretary"], name=f"压测 {stamp}")
    _, raw_key = services.apikey_create(
        by=users["admin"], name=f"压测 {stamp}-{os.getpid()}", rate_per_minute=100000
    )
    from gridgov.cases.models import ApiKey

    key_id = ApiKey.objects.get(name=f"压测 {stamp}-{os.getpid()}").pk
    grid3 = (
        Place.objects.filter(path__startswith=community.path + ".", kind=PlaceKind.GRID)
        .order_by("path")
        .last()
    )
    assert grid3 is not None
    places = list(
        Place.objects.filter(path__startswith=grid3.path + ".", kind=PlaceKind.BUILDING).values_list(
            "pk", flat=True
        )
    )
    first = selectors.my_queue(users["grid1"]).first()
    if first is None:
        raise SystemExit("grid1 的待办为空：先运行 bench/gen_cases.py")
    client = Client()
    client.force_login(users["grid1"])
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connections.close_all()
    return Prepared(
        worker_token=worker_token,
        street_token=street_token,
        community_token=community_token,
        session_cookie=cookie,
        api_key=raw_key,
        api_key_id=key_id,
        intake_places=places,
        case_id=first.pk,
        street_id=street.pk,
        community_id=community.pk,
    )


def close_intake_cases(api_key_id: int) -> int:
    """Close what the intake runs opened, so the next run sees the same open work."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET state = 'closed', closed_at = created_at "
            "WHERE source = %s AND state IN ('new', 'accepted', 'in_progress')",
            [f"key:{api_key_id}"],
        )
        closed = cursor.rowcount
        if closed and connection.vendor == "postgresql":
            # Each closed case leaves a dead tuple in every open-work index the queue scans (a
            # bitmap scan never marks them dead): without this the next run's queue reads
            # thousands of dead entries. INDEX_CLEANUP ON: VACUUM skips the indexes by default
            # when under 2% of the table's pages have dead tuples, which is exactly this case.
            cursor.execute("VACUUM (ANALYZE, INDEX_CLEANUP ON) cases_case")
    connection.close()
    return closed


# --- the server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, kind: str, port: int, workers: int, threads: int, log: Path) -> None:
        self.kind, self.port, self.workers, self.threads, self.log = kind, port, workers, threads, log
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        if self.kind == "granian":
            granian = shutil.which("granian", path=str(Path(PYTHON).parent)) or "granian"
            return [
                granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--blocking-threads", str(self.threads),
                "--no-ws", "gridgov.wsgi:application",
            ]  # fmt: skip
        return [
            PYTHON, "-m", "gridgov", "serve", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads),
        ]  # fmt: skip

    def start(self) -> None:
        env = {**os.environ, "GRIDGOV_BENCH_BASELINES": "1"}
        out = self.log.open("ab")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"服务器没有启动，见 {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/bench/list")
                if conn.getresponse().status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"服务器 60 秒内没有就绪，见 {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        return _children(self.process.pid)

    def kill_all(self) -> None:
        """SIGKILL the master and its workers at once: the whole server dies as in a power cut."""
        if self.process is None:
            return
        for pid in [*self.worker_pids(), self.process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill_all()
        self.process = None


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may hold spaces, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            found.append(int(entry.name))
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in self.server.worker_pids():
                self.peak_kb = max(self.peak_kb, _rss_kb(pid))
            self.stopped.wait(0.2)


# --- wrk ------------------------------------------------------------------------------------------

LUA_INTAKE = r"""
local counter = 0
local places = {%(places)s}
local prefix = "%(prefix)s"
local texts = {"楼下路灯不亮，晚上很黑", "小区门口垃圾堆放三天没人清", "楼道消防通道被电动车堵住",
               "单元门禁坏了，陌生人随便进出", "下水道堵了，污水漫到路面"}
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local body = string.format('{"text": "%%s（第%%d次）", "place": %%d, "client_key": "%%s-%%s-%%d"}',
    texts[(counter %% #texts) + 1], counter, places[(counter %% #places) + 1], prefix, tid, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["X-Api-Key"] = "%(key)s"}, body)
end
"""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    headers: dict[str, str],
    lua: str | None = None,
    method: str = "GET",
) -> Result:
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    script = None
    if lua is None and method == "POST":
        lua = 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'
    if lua is not None:
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(lua)
        script.close()
        command += ["-s", script.name]
    command.append(url)
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        if script is not None:
            os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in match.groups())
    return Result(rps=rps, p50_ms=p50, p99_ms=p99, errors=errors, requests=requests)


def endpoints(prep: Prepared, base: str) -> dict[str, dict[str, Any]]:
    bearer = {"Authorization": f"Bearer {prep.worker_token}"}
    return {
        "baseline_insert": {"url": f"{base}/bench/insert", "method": "POST", "headers": {}},
        "baseline_list": {"url": f"{base}/bench/list", "headers": {}},
        "floor_page": {"url": f"{base}/bench/page", "headers": {"Cookie": prep.session_cookie}},
        "floor_intake": {"url": f"{base}/bench/insert-triaged", "method": "POST", "headers": {}},
        "queue": {"url": f"{base}/api/v1/cases?queue=mine", "headers": bearer},
        # The same queue 50 a page (the default is 20, the baseline's twenty rows).
        "queue50": {"url": f"{base}/api/v1/cases?queue=mine&page_size=50", "headers": bearer},
        "workbench": {"url": f"{base}/cases/", "headers": {"Cookie": prep.session_cookie}},
        "case_page": {"url": f"{base}/cases/{prep.case_id}/", "headers": {"Cookie": prep.session_cookie}},
        "stats_street": {
            "url": f"{base}/api/v1/cases/stats?place={prep.street_id}",
            "headers": {"Authorization": f"Bearer {prep.street_token}"},
        },
        "stats_community": {
            "url": f"{base}/api/v1/cases/stats?place={prep.community_id}",
            "headers": {"Authorization": f"Bearer {prep.community_token}"},
        },
        "intake": {
            "url": f"{base}/api/v1/intake",
            "headers": {},
            "lua": LUA_INTAKE
            % {
                "places": ", ".join(str(p) for p in prep.intake_places),
                "prefix": f"bench{int(time.time())}",
                "key": prep.api_key,
            },
        },
    }


def _check_answers(prep: Prepared, base: str, targets: dict[str, dict[str, Any]]) -> None:
    """One request each before measuring: a 4xx/5xx would make the numbers meaningless."""
    from urllib.parse import urlsplit

    for name, spec in targets.items():
        if name == "intake":
            continue
        parts = urlsplit(spec["url"])
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(
            spec.get("method", "GET"),
            path,
            body=b"{}" if spec.get("method") == "POST" else None,
            headers=spec["headers"],
        )
        response = conn.getresponse()
        response.read()
        if response.status >= 400:
            raise SystemExit(f"{name}: {spec['url']} 答 {response.status}")


def measure(args: argparse.Namespace) -> None:
    _setup_django()
    from django.db import connection

    prep = prepare()
    port = _free_port()
    log = Path(tempfile.gettempdir()) / f"gridgov-load-{port}.log"
    server = Server(args.server, port, args.workers, args.threads, log)
    print(
        f"数据库 {connection.vendor} {connection.settings_dict.get('NAME')}；{args.server} {args.workers} 进程 × "
        f"{args.threads} 线程；wrk {args.connections} 连接，每项 {args.duration} 秒 × {args.runs} 轮；服务器日志 {log}"
    )
    chosen = [name for name in ORDER if not args.only or name in args.only.split(",")]
    server.start()
    sampler = RssSampler(server)
    sampler.start()
    results: dict[str, list[Result]] = {name: [] for name in chosen}
    ratios: dict[str, list[float]] = {name: [] for name in chosen}
    try:
        base = f"http://127.0.0.1:{port}"
        targets = endpoints(prep, base)
        _check_answers(prep, base, {n: targets[n] for n in chosen})
        for number in range(1, args.runs + 1):
            run: dict[str, Result] = {}
            for name in chosen:
                spec = targets[name]
                run[name] = run_wrk(
                    spec["url"],
                    duration=args.duration,
                    connections=args.connections,
                    headers=spec["headers"],
                    lua=spec.get("lua"),
                    method=spec.get("method", "GET"),
                )
                results[name].append(run[name])
                time.sleep(1)  # let the server drain what wrk left in flight
                print(
                    f"  第{number}轮 {name:<16} {run[name].rps:8.1f}/s  p50 {run[name].p50_ms:7.1f} ms  "
                    f"p99 {run[name].p99_ms:7.1f} ms  错误 {run[name].errors}",
                    flush=True,
                )
            if "intake" in run:
                close_intake_cases(prep.api_key_id)
            for name in chosen:
                baseline = BASELINE_OF.get(name)
                if baseline in run and run[baseline].rps:
                    ratios[name].append(run[name].rps / run[baseline].rps)
    finally:
        sampler.stopped.set()
        server.stop()
    print()
    print(f"{'端点':<16} {'请求/秒':>9} {'p50 ms':>8} {'p99 ms':>8} {'对照比':>7} {'对照':<16} 错误")
    for name in chosen:
        rows = results[name]
        ratio = f"{statistics.median(ratios[name]):.2f}" if ratios[name] else "—"
        print(
            f"{name:<16} {statistics.median(r.rps for r in rows):9.1f} "
            f"{statistics.median(r.p50_ms for r in rows):8.1f} {statistics.median(r.p99_ms for r in rows):8.1f} "
            f"{ratio:>7} {BASELINE_OF.get(name, ''):<16} {sum(r.errors for r in rows)}"
        )
    if "queue" in results and "workbench" in results:
        per_run = [
            w.rps / q.rps for w, q in zip(results["workbench"], results["queue"], strict=True) if q.rps
        ]
        print(f"workbench / queue（同轮比值中位数）：{statistics.median(per_run):.2f}")
    print(f"应用进程峰值内存（RSS）：{sampler.peak_kb / 1024:.0f} MB")
    print(
        "（中位数；对照比 = 同一轮里该端点与对照接口每秒请求数之比。机器与他人共用，绝对数字会随负载浮动，同轮比值更可信。）"
    )


# --- nothing acknowledged is lost ----------------------------------------------------------------


@dataclass
class KillStats:
    answered: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (status, case id)
    retries: int = 0
    unanswered: int = 0
    # Set a while after the load stops: a client still retrying gives up and counts its key.
    abandon: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _intake_client(
    port: int, prep: Prepared, prefix: str, stop: threading.Event, stats: KillStats, seed: int
) -> None:
    rng = random.Random(seed)
    conn: http.client.HTTPConnection | None = None
    number = 0
    while not stop.is_set():
        number += 1
        key = f"{prefix}-{seed}-{number}"
        body = json.dumps(
            {
                "text": f"压测上报，检查不丢不重（{key}）",
                "place": rng.choice(prep.intake_places),
                "client_key": key,
            }
        )
        while True:  # the same key until the server answers: a retry may not make a second case
            if stats.abandon.is_set():
                with stats.lock:
                    stats.unanswered += 1
                return
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                conn.request(
                    "POST", "/api/v1/intake", body=body.encode(),
                    headers={"Content-Type": "application/json", "X-Api-Key": prep.api_key},
                )  # fmt: skip
                response = conn.getresponse()
                data = response.read()
                if response.status in (200, 201):
                    with stats.lock:
                        stats.answered[key] = (response.status, int(json.loads(data)["id"]))
                    break
                if response.status < 500:
                    raise SystemExit(f"意外的回答 {response.status}: {data[:200]!r}")
            except (OSError, http.client.HTTPException):
                with contextlib.suppress(Exception):
                    if conn is not None:
                        conn.close()
                conn = None
            with stats.lock:
                stats.retries += 1
            time.sleep(0.05 + rng.random() * 0.2)


def kill_mode(args: argparse.Namespace) -> None:
    _setup_django()
    from django.db import connection

    prep = prepare()
    port = _free_port()
    log = Path(tempfile.gettempdir()) / f"gridgov-kill-{port}.log"
    server = Server(args.server, port, args.workers, args.threads, log)
    print(
        f"数据库 {connection.vendor} {connection.settings_dict.get('NAME')}；{args.server}；服务器日志 {log}"
    )
    server.start()
    stop = threading.Event()
    stats = KillStats()
    prefix = f"kill{int(time.time())}"
    clients = [
        threading.Thread(target=_intake_client, args=(port, prep, prefix, stop, stats, seed), daemon=True)
        for seed in range(args.connections)
    ]
    for client in clients:
        client.start()
    kills = 0
    rng = random.Random(7)
    began = time.monotonic()
    whole_done = False
    try:
        while time.monotonic() - began < args.kill_seconds:
            time.sleep(rng.uniform(1.0, 2.5))
            elapsed = time.monotonic() - began
            if not whole_done and elapsed > args.kill_seconds / 2:
                server.kill_all()
                print(f"  {elapsed:5.1f} 秒：整台服务器 SIGKILL，重启", flush=True)
                time.sleep(1)
                server.start()
                whole_done = True
                continue
            pids = server.worker_pids()
            if pids:
                victim = rng.choice(pids)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(victim, signal.SIGKILL)
                kills += 1
                print(f"  {elapsed:5.1f} 秒：SIGKILL 工作进程 {victim}", flush=True)
        stop.set()
        abandon_at = time.monotonic() + 30
        for client in clients:
            client.join(timeout=max(0.1, abandon_at - time.monotonic()))
        stats.abandon.set()
        for client in clients:
            client.join(timeout=20)
    finally:
        stop.set()
        server.stop()
    from gridgov.cases.models import Case

    source = f"key:{prep.api_key_id}"
    stored: dict[str, list[int]] = {}
    for key, pk in Case.objects.filter(source=source, client_key__startswith=prefix + "-").values_list(
        "client_key", "pk"
    ):
        stored.setdefault(key, []).append(pk)
    created = {k: v for k, v in stats.answered.items() if v[0] == 201}
    missing = [k for k in created if k not in stored]
    doubled = [k for k, pks in stored.items() if len(pks) != 1]
    wrong_id = [k for k, (_, pk) in stats.answered.items() if k in stored and stored[k] != [pk]]
    close_intake_cases(prep.api_key_id)
    print(
        f"应答 {len(stats.answered):,} 次（201 新建 {len(created):,}，200 重试认出 "
        f"{len(stats.answered) - len(created):,}），客户端重试 {stats.retries:,} 次；"
        f"SIGKILL 工作进程 {kills} 次、整台服务器 {int(whole_done)} 次；停止后 30 秒仍未得到回答而放弃 {stats.unanswered} 个"
    )
    print(
        f"库里 {len(stored):,} 个 client_key；丢失 {len(missing)}，重复 {len(doubled)}，编号不符 {len(wrong_id)}"
    )
    if missing or doubled or wrong_id:
        print("失败：有已确认的上报丢失或重复")
        raise SystemExit(1)
    print("通过：每个答过 201 的上报在库里恰好一次")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--server", choices=["gunicorn", "granian"], default="gunicorn")
    # The defaults of `gridgov serve` (settings.GRIDGOV_WEB_WORKERS / _THREADS).
    parser.add_argument("--workers", type=int, default=int(os.environ.get("GRIDGOV_WEB_WORKERS", "4")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GRIDGOV_WEB_THREADS", "2")))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="每个端点每轮压多少秒")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="只测这些端点（逗号分隔）：" + ",".join(ORDER))
    parser.add_argument("--kill", action="store_true", help="杀进程模式：检查已确认的上报不丢不重")
    parser.add_argument("--kill-seconds", type=int, default=30)
    args = parser.parse_args(argv)
    if args.kill:
        kill_mode(args)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("需要 wrk（apt install wrk）")
    measure(args)


if __name__ == "__main__":
    main()
