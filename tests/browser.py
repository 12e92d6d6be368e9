"""A real browser for the tests: headless Chromium driven over the DevTools protocol.

:class:`Browser` starts Debian's ``chromium`` with a throw-away profile, no
network (every host name resolves to nothing) and autoplay allowed, opens a
page, evaluates JavaScript in it and keeps what the page logged: console
errors, uncaught exceptions and every request it made.
"""

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import websocket

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def chromium_path():
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("Chromium is needed to test the preview page "
                         "(.ci/run installs Debian's chromium package)")


class Browser:
    """One headless Chromium with one page; a context manager."""

    def __init__(self, profile, width=1280, height=900):
        profile = Path(profile)
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # a previous browser's
        self.process = subprocess.Popen(
            [chromium_path(), "--headless=new", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--autoplay-policy=no-user-gesture-required",
             "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--window-size={width},{height}", f"--user-data-dir={profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._connect(port_file)
        except BaseException:
            self.close()
            raise

    def _connect(self, port_file):
        self.socket = None
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("Chromium did not start")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"],
                                                  timeout=60, suppress_origin=True)
        self._id = 0
        self.events = []
        for domain in ("Runtime", "Page", "Network", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method, **params):
        """Send a DevTools command and return its result (events are kept)."""
        self._id += 1
        self.socket.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def open(self, url):
        """Load a page; what the previous one logged is forgotten."""
        self.call("Runtime.evaluate", expression="0")
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_for(f"document.URL === {json.dumps(url)} && "
                      "document.readyState === 'complete'")

    def evaluate(self, expression, await_promise=False):
        """The value of a JavaScript expression in the page (JSON values)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=await_promise)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"Boolean({expression})"):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def screenshot(self, path):
        import base64

        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))

    @property
    def errors(self):
        """Console errors, uncaught exceptions and failed loads, as text."""
        self.call("Runtime.evaluate", expression="0")  # collects pending events
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description")))
                                      for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                # (media loads are cancelled and resumed by range: no failure)
                found.append(f"failed load: {params.get('errorText')}")
        return found

    @property
    def requests(self):
        """URLs of every request the page made."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self):
        try:
            if getattr(self, "socket", None) is not None:
                self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
