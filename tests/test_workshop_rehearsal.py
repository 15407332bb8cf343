"""The workshop of ``book/workshops.md``, end to end on a real JupyterHub on 127.0.0.1.

A JupyterHub (``DummyAuthenticator``, ``SimpleLocalProcessSpawner``: one home folder per
user under a temporary folder, no system accounts) with the npm configurable-http-proxy
(``make hub-deps`` installs it into ``.hub/``), single-user servers from the course's
environment with nbgitpuller and nbgrader, the shared read-only dataset folder the page
describes, and nbgrader's exchange in a temporary folder. Then, as in a workshop:

1. each participant logs in and opens the page's nbgitpuller link to a chapter; the copy of
   the repository it pulls is the organisers' copy *without* ``solutions/``;
2. the chapter runs in a kernel of the participant's own server (the server's sessions and
   kernel websocket API, as JupyterLab drives them), loading the dataset from the shared
   read-only folder, which nothing writes to;
3. the instructor generates and releases exercise 1 to the exchange; the participants fetch
   it and submit it from their servers (nbgrader's *Assignments* API, which runs the
   exchange code of ``nbgrader fetch_assignment`` and ``nbgrader submit``), one with the
   solution's answers, one with resolution 2 for 0.6 (``tests/grading_fixtures/classroom.py``),
   each after running it in their kernel;
4. the instructor collects and grades with ``python -m course_lib.grading``: full marks and
   the slip's score.

It prints each participant server's peak memory (resident memory of the server and its
kernels, sampled) during the chapter and the exercise, and the rehearsal's wall time. The
test is skipped only when Node.js (or npm, to install the proxy) is missing. ``make hub``
runs it alone, with its output.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import nbformat
import psutil
import pytest
import requests
import websocket

from course_lib.datasets.cache import cache_path
from course_lib.environment import CACHE_ENV
from tests.grading_fixtures.classroom import Assignment, partial_credit_variants

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROXY = ROOT / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"
CHAPTER = "book/dataset.ipynb"
"""The quickest chapter that loads the dataset (7 s against 10 s for chapter 1 in the page's
table)."""
ASSIGNMENT = "01_graph_clustering"
COURSE = "scclust"
INSTRUCTOR = "instructor"
PARTICIPANTS = {"ada": "right", "ben": "wrong"}
"""Each participant and the answers they submit."""
REPO_NAME = "scclust-course"
"""The folder the link's copy goes into: the last part of the repository URL."""
TIMEOUT = 300
"""Seconds for any one step (a spawn, a pull, a cell)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, what: str, timeout: float = TIMEOUT, every: float = 0.2):
    """The first true value of ``condition()``, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"waited {timeout} s for {what}")


# --- the organisers' setup -------------------------------------------------------------


def organisers_copy(dest: Path) -> Path:
    """A copy of the repository without ``solutions/``, as the page tells organisers to
    give participants for a graded workshop: the committed files of this checkout, one
    commit on ``main``, so the participants' clone holds no solution in its history."""
    repo = dest / REPO_NAME
    repo.mkdir(parents=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, files):
        if name.split("/")[0] == "solutions" or not (ROOT / name).is_file():
            continue
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
    git = ["git", "-c", "user.name=Organiser", "-c", "user.email=organiser@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "The course without solutions/"], cwd=repo,
                   check=True)  # fmt: skip
    return repo


def shared_dataset(dest: Path) -> Path:
    """The shared folder of the page's *dataset cache* section, read-only: a copy of the
    prepared dataset (the user's own cache is left alone)."""
    source = cache_path()
    if not source.is_file():
        subprocess.run([sys.executable, "-m", "course_lib.datasets"], check=True)
    folder = dest / "shared-dataset"
    folder.mkdir()
    shutil.copy2(source, folder / source.name)
    (folder / source.name).chmod(0o444)
    folder.chmod(0o555)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``folder`` with its size, modification time and mode."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
            for p in folder.rglob("*")}  # fmt: skip


NBGRADER_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course!r}
c.Exchange.root = {exchange!r}
"""

STUDENT_ID = """\
# Every server runs as the same system user here, as on hubs whose users share one account:
# nbgrader's exchange then takes the student id from the hub (its own default is the account).
import os
c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
"""


HUB_CONFIG = """\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {timeout}
c.Spawner.http_timeout = {timeout}
c.Spawner.environment = {environment!r}
c.JupyterHub.services = [{{"name": "rehearsal", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "rehearsal",
    "scopes": ["admin:users", "admin:servers", "access:servers"],
    "services": ["rehearsal"],
}}]
c.JupyterHub.cleanup_servers = True
"""


class Hub:
    """A running JupyterHub and the test driver's access to it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.homes = base / "home"
        self.homes.mkdir()
        self.exchange = base / "exchange"
        self.exchange.mkdir()
        self.exchange.chmod(0o777)
        self.config_dir = base / "etc-jupyter"  # the hub's global Jupyter configuration
        self.config_dir.mkdir()
        (self.config_dir / "nbgrader_config.py").write_text(
            NBGRADER_CONFIG.format(course=COURSE, exchange=str(self.exchange)) + STUDENT_ID)
        self.dataset = shared_dataset(base)
        self.environment = {
            CACHE_ENV: str(self.dataset),  # singleuser.extraEnv on Zero to JupyterHub
            "JUPYTER_CONFIG_PATH": str(self.config_dir),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        config = base / "jupyterhub_config.py"
        config.write_text(HUB_CONFIG.format(
            port=self.port, hub_port=free_port(), proxy_api_port=free_port(), proxy=str(PROXY),
            homes=str(self.homes), singleuser=str(BIN / "jupyterhub-singleuser"),
            timeout=TIMEOUT, environment=self.environment, token=self.token,
            args=["--allow-root"] if os.geteuid() == 0 else []))  # fmt: skip
        self.config = config
        self.process: subprocess.Popen | None = None
        self.seen: set[psutil.Process] = set()

    def start(self) -> None:
        self.log = (self.base / "jupyterhub.log").open("w")
        self.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(self.config)], cwd=self.base, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        wait_for(self._up, "the hub to answer")

    def _up(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the hub exited: {self.log_tail()}")
        try:
            return requests.get(f"{self.url}/hub/api/", timeout=5).ok
        except requests.ConnectionError:
            return False

    def log_tail(self, n: int = 40) -> str:
        self.log.flush()
        return "\n".join((self.base / "jupyterhub.log").read_text().splitlines()[-n:])

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        response = requests.request(method, f"{self.url}{path}", headers=headers, timeout=60,
                                    **kwargs)  # fmt: skip
        response.raise_for_status()
        return response

    def server_process(self, user: str) -> psutil.Process:
        """The single-user server of ``user`` (a child of the hub)."""

        def find():
            for child in psutil.Process(self.process.pid).children(recursive=True):
                try:
                    if child.environ().get("JUPYTERHUB_USER") == user and "singleuser" in " ".join(
                            child.cmdline()):  # fmt: skip
                        return child
                except psutil.Error:
                    continue
            return None

        process = wait_for(find, f"the server process of {user}")
        self.seen.add(process)
        return process

    def stop(self) -> None:
        """End the hub, the proxy, every server and kernel, whatever state they are in."""
        if self.process is None:
            return
        processes = set(self.seen)
        try:
            processes |= {psutil.Process(self.process.pid)}
            processes |= set(psutil.Process(self.process.pid).children(recursive=True))
        except psutil.Error:
            pass
        for server in list(processes):
            try:
                processes |= set(server.children(recursive=True))
            except psutil.Error:
                pass
        for process in processes:
            try:
                process.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(processes, timeout=10)
        for process in alive:
            try:
                process.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(alive, timeout=5)
        self.log.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: configurable-http-proxy, JupyterHub's proxy, "
                    "needs it (Debian: apt-get install nodejs npm; `make test` installs them "
                    "as root)")  # fmt: skip
    if not PROXY.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: it installs configurable-http-proxy "
                        "(`make hub-deps`; Debian: apt-get install npm)")  # fmt: skip
        subprocess.run(["make", "hub-deps"], cwd=ROOT, check=True, capture_output=True)
    base = tmp_path_factory.mktemp("hub")
    hub = Hub(base)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
        if (base / "shared-dataset").exists():  # writable again, for pytest to remove
            (base / "shared-dataset").chmod(0o755)


# --- a participant's browser and server ------------------------------------------------


class Browser:
    """What a participant's browser does: cookies, redirects, and the pages' own requests."""

    def __init__(self, hub: Hub, user: str) -> None:
        self.hub, self.user = hub, user
        self.session = requests.Session()
        login = self.session.get(f"{hub.url}/hub/login", timeout=60)
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', login.text).group(1)
        response = self.session.post(
            f"{hub.url}/hub/login?next=", data={"username": user, "password": "workshop",
            "_xsrf": xsrf}, allow_redirects=False, timeout=60)  # fmt: skip
        assert response.status_code == 302, f"login of {user} failed: {response.status_code}"

    def open(self, url: str) -> requests.Response:
        """Open ``url`` as a browser would: launch the server when the hub asks to, wait on
        the spawn-pending page, then follow the redirects to the server."""
        response = self.session.get(url, timeout=TIMEOUT)
        launch = re.search(r'href="(/hub/spawn/[^"]+)"', response.text)
        if response.status_code == 424 and launch:  # "server not running" → *Launch server*
            response = self.session.get(self.hub.url + launch.group(1).replace("&amp;", "&"),
                                        timeout=TIMEOUT)  # fmt: skip
        if "/hub/spawn-pending/" in response.url:
            wait_for(self._ready, f"the server of {self.user}")
            response = self.session.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        return response

    def _ready(self) -> bool:
        server = self.hub.api("GET", f"/hub/api/users/{self.user}").json()["servers"].get("")
        if server is None:
            raise RuntimeError(f"the server of {self.user} failed to start:\n{self.hub.log_tail()}")
        return bool(server.get("ready"))

    def pull(self, link: str) -> str:
        """Open an nbgitpuller link; do what its page's script does (the sync API, then the
        redirect); return the page it lands on."""
        page = self.open(link)
        assert "git-pull/static" in page.text, f"not nbgitpuller's page: {page.url}"
        data = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', page.text))
        params = {"_xsrf": data["xsrf"], "repo": data["repo"], "targetpath": data["targetpath"]}
        params = {k: unquote(v) for k, v in params.items()}
        if "branch" in data:
            params["branch"] = unquote(data["branch"])
        base = self.hub.url + unquote(data["base-url"])
        events = []
        with self.session.get(f"{base}git-pull/api", params=params, stream=True,
                              timeout=TIMEOUT) as stream:  # fmt: skip
            for line in stream.iter_lines(decode_unicode=True):
                if line and line.startswith("data: "):
                    events.append(json.loads(line[len("data: "):]))
                    if events[-1]["phase"] in ("finished", "error"):
                        break
        assert events and events[-1]["phase"] == "finished", f"nbgitpuller failed: {events}"
        target = base + unquote(data["path"])
        landed = self.session.get(target, timeout=TIMEOUT)
        landed.raise_for_status()
        return landed.url


class MemorySampler:
    """The peak resident memory of a server and every process it started, sampled."""

    def __init__(self, process: psutil.Process, every: float = 0.1) -> None:
        self.process, self.every = process, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                tree = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                tree = []
            for process in tree:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def run_notebook(hub: Hub, user: str, path: str) -> list[tuple[int, str]]:
    """Run every code cell of notebook ``path`` (relative to the user's home) in a new
    kernel of the user's server, as JupyterLab does: a session for the notebook (the kernel
    starts in its folder), then execute requests over the kernel's websocket. Returns the
    errors, as (cell number, error name); the kernel is shut down at the end."""
    base = f"/user/{user}/api"
    session = hub.api("POST", f"{base}/sessions", json={
        "path": path, "type": "notebook", "name": Path(path).name,
        "kernel": {"name": "python3"}}).json()  # fmt: skip
    kernel = session["kernel"]["id"]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{hub.port}{base}/kernels/{kernel}/channels",
        header=[f"Authorization: token {hub.token}"], timeout=TIMEOUT)  # fmt: skip
    errors = []
    try:
        contents = hub.api("GET", f"{base}/contents/{quote(path)}").json()["content"]
        cells = [c for c in contents["cells"] if c["cell_type"] == "code"]
        for number, cell in enumerate(cells, 1):
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                           "session": uuid.uuid4().hex, "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": "".join(cell["source"]), "silent": False,
                            "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": False},
            }))  # fmt: skip
            while True:
                message = json.loads(ws.recv())
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if message["msg_type"] == "execute_reply":
                    if message["content"]["status"] != "ok":
                        errors.append((number, message["content"].get("ename", "")))
                    break
    finally:
        ws.close()
        hub.api("DELETE", f"{base}/sessions/{session['id']}")
    return errors


# --- the instructor --------------------------------------------------------------------


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True,
                            text=True, env={**os.environ, "HOME": str(course.parent),
                            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"})  # fmt: skip
    command = " ".join(args)
    assert result.returncode == 0, f"nbgrader {command} failed:\n{result.stdout}{result.stderr}"
    return result


def instructors_course(hub: Hub) -> Path:
    """The instructor's nbgrader course: exercise 1's source from ``solutions/``, the course
    id and the exchange; the course's autograding settings (``nbgrader_config.py``)."""
    course = hub.homes / INSTRUCTOR / COURSE
    (course / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    (course / "nbgrader_config.py").write_text(
        NBGRADER_CONFIG.format(course=COURSE, exchange=str(hub.exchange))
        + "from course_lib.grading import configure_nbgrader\nconfigure_nbgrader(c)\n")
    return course


# --- the rehearsal ---------------------------------------------------------------------


def side_by_side(work: Callable[[str], None], hub, failures: list[str]) -> None:
    """Run ``work`` for every participant at once, as a workshop does; fail with the
    participants' errors (``work`` appends them to ``failures``) and the hub's log."""
    threads = [threading.Thread(target=work, args=(user,)) for user in PARTICIPANTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, f"{failures}\nhub log:\n{hub.log_tail()}"


def test_workshop_rehearsal(hub: Hub, tmp_path: Path):
    started = time.monotonic()
    organisers = organisers_copy(tmp_path / "organisers")
    before = snapshot(hub.dataset)
    link_template = re.search(r"https://<hub>(/hub/user-redirect/git-pull\?repo=[^\n`]+)",
                              (ROOT / "book" / "workshops.md").read_text()).group(1)  # fmt: skip
    assert "<repository URL>" in link_template, link_template
    link = (hub.url + link_template.replace("<repository URL>", quote(str(organisers), safe=""))
            .replace("<repository name>", REPO_NAME).replace("<notebook>", CHAPTER))  # fmt: skip

    # 1-2. every participant opens the link and runs the chapter, at the same time
    browsers = {user: Browser(hub, user) for user in PARTICIPANTS}
    chapter_peak: dict[str, float] = {}
    idle: dict[str, float] = {}
    failures: list[str] = []

    def chapter(user: str) -> None:
        try:
            landed = browsers[user].pull(link)
            assert landed.endswith(f"/user/{user}/lab/tree/{REPO_NAME}/{CHAPTER}"), landed
            home = hub.homes / user
            assert (home / REPO_NAME / CHAPTER).is_file()
            assert not (home / REPO_NAME / "solutions").exists(), "solutions/ reached a participant"
            server = hub.server_process(user)
            idle[user] = sum(p.memory_info().rss for p in [server, *server.children()]) / 2**20
            with MemorySampler(server) as sampler:
                errors = run_notebook(hub, user, f"{REPO_NAME}/{CHAPTER}")
            assert errors == [], f"{CHAPTER} failed in the server of {user}: {errors}"
            chapter_peak[user] = sampler.peak_mb
        except Exception as error:  # noqa: BLE001 (reported below, with the hub's log)
            failures.append(f"{user}: {error!r}")

    side_by_side(chapter, hub, failures)
    assert snapshot(hub.dataset) == before, "something wrote into the shared dataset folder"

    chapter_done = time.monotonic()

    # 3. the instructor releases exercise 1
    course = instructors_course(hub)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    nbgrader(course, "release_assignment", ASSIGNMENT, "--force")

    assignment = Assignment(ASSIGNMENT)
    wrong, wrong_score, _ = partial_credit_variants(assignment)["wrong_resolution"]
    answers = {"right": assignment.answers(),
               "wrong": {c: Assignment.cell(wrong, c).source for c in assignment.answers()}}
    expected = {"ada": assignment.full, "ben": wrong_score}
    exercise_peak: dict[str, float] = {}
    exercise_errors: dict[str, list] = {}

    def exercise(user: str) -> None:
        try:
            action = f"/user/{user}/assignments"
            form = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
            listed = hub.api("POST", f"{action}/fetch", data=form).json()
            assert listed["success"], listed
            path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
            fetched = hub.homes / user / path
            assert fetched.is_file(), f"{user} fetched nothing: {listed}"
            nb = nbformat.read(fetched, as_version=4)
            for grade_id, code in answers[PARTICIPANTS[user]].items():
                Assignment.cell(nb, grade_id).source = code
            hub.api("PUT", f"/user/{user}/api/contents/{path}",
                    json={"type": "notebook", "format": "json", "content": nb})  # fmt: skip
            with MemorySampler(hub.server_process(user)) as sampler:
                exercise_errors[user] = run_notebook(hub, user, path)
            exercise_peak[user] = sampler.peak_mb
            submitted = hub.api("POST", f"{action}/submit", data=form).json()
            assert submitted["success"], submitted
        except Exception as error:  # noqa: BLE001
            failures.append(f"{user}: {error!r}")

    side_by_side(exercise, hub, failures)
    assert exercise_errors["ada"] == [], exercise_errors
    assert [name for _, name in exercise_errors["ben"]] == ["AssertionError"], exercise_errors

    exercise_done = time.monotonic()

    # 4. the instructor collects and grades
    nbgrader(course, "collect", ASSIGNMENT)
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(PARTICIPANTS)
    out = tmp_path / "grades"
    grading = subprocess.run(
        [sys.executable, "-m", "course_lib.grading", ASSIGNMENT, str(submitted), "--out",
         str(out), "--jobs", "2", "--no-progress"],
        cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert grading.returncode == 0, grading.stdout + grading.stderr
    with (out / "grades.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    scores = {user: float(rows[user]["total"]) for user in PARTICIPANTS}
    assert scores == pytest.approx(expected), (scores, expected)
    assert snapshot(hub.dataset) == before, "something wrote into the shared dataset folder"
    assert not os.access(hub.dataset, os.W_OK) or os.geteuid() == 0
    assert stat.S_IMODE(hub.dataset.stat().st_mode) & 0o222 == 0

    wall = time.monotonic() - started
    print(f"\nworkshop rehearsal on {psutil.cpu_count()} cores: {wall:.0f} s wall time (links and "
          f"chapter {chapter_done - started:.0f} s, release and exercise "
          f"{exercise_done - chapter_done:.0f} s, collect and grading "
          f"{time.monotonic() - exercise_done:.0f} s; the hub started before)")
    for user in PARTICIPANTS:
        print(f"  {user} ({PARTICIPANTS[user]} answers, {scores[user]:g} of {assignment.full:g}): "
              f"server {idle[user]:,.0f} MB after the pull (no kernel), "
              f"peak {chapter_peak[user]:,.0f} MB during {CHAPTER}, "
              f"{exercise_peak[user]:,.0f} MB during exercise {ASSIGNMENT}")
