#!/usr/bin/env python3
"""ClickHouse HTTP interface on top of chDB (the real ClickHouse engine, in process).

No ClickHouse server binary exists for this machine, so the local stack serves the part of the
HTTP interface that the official `clickhouse` Rust crate (and curl users) rely on:

  GET /ping, GET /?query=...            health and read-only queries
  POST / (SQL in body or ?query=)       queries; insert data in the body when ?query= holds the INSERT
  multipart/form-data bodies            `query` and `param_*` fields (server-side parameters)
  database, default_format, query_id, session_id, compress, decompress, wait_end_of_query,
  param_* URL parameters; every other URL parameter is applied as a setting.

Requests without a session_id reuse pooled chDB connections; settings and USE are sticky per
connection, so a connection goes back to the pool only after the request's settings and database
are reset (GET takes its own readonly=1 kind). Requests with a session_id share one connection
until the session times out. Responses leave with TCP_NODELAY and headers and body in one write
(keep-alive clients waited ~40 ms per query on Nagle before).

A web page the developer visits can reach 127.0.0.1 too (an <img> tag sends a GET, a form a
POST, DNS rebinding lends a page the loopback address), so every request except the liveness
paths must carry the stack's password (--password-file), as ClickHouse takes it: HTTP basic
auth, X-ClickHouse-User/X-ClickHouse-Key headers or user/password URL parameters. Requests with
an Origin header or a browser's Sec-Fetch-Site, or a Host that is not a loopback name, are
refused before that. GET runs with readonly=1 whatever the URL says. Table functions, engines,
dictionary sources and statements that reach the file system, the network or other programs
(file(), url(), s3(), remote(), executable(), INTO OUTFILE, BACKUP ...) are refused: chDB runs
as clickhouse-local, which neither confines file() to user_files_path nor has access control, so
the SQL text is checked (see forbidden_use).
"""

import argparse
import base64
import gzip
import hmac
import json
import os
import re
import signal
import struct
import sys
import tempfile
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import lz4.block
from chdb.state import sqlitelike
from clickhouse_cityhash.cityhash import CityHash128

VERSION = "26.9"
# URL parameters that are protocol, not settings.
PROTOCOL_PARAMS = {
    "query", "database", "default_format", "query_id", "session_id", "session_timeout",
    "session_check", "compress", "decompress", "wait_end_of_query", "user", "password",
    "role", "buffer_size", "client_protocol_version", "quota_key",
}
# Formats whose output is a concatenation of per-chunk pieces once repeated headers are removed.
STREAMABLE = re.compile(
    r"^(RowBinary|TabSeparated|TSV|CSV|JSONEachRow|JSONCompactEachRow|JSONStringsEachRow|"
    r"JSONCompactStringsEachRow|Native|TabSeparatedRaw|TSVRaw|JSONLines|NDJSON)", re.I)
# ClickHouse's HTTPHandler maps these exception codes away from 500.
STATUS_BY_CODE = {
    # 400: the request itself is wrong
    **{c: 400 for c in (6, 26, 27, 32, 33, 34, 38, 41, 42, 62, 69, 70, 72, 73, 80, 115, 117,
                        130, 131, 168, 180, 182, 183, 184, 190, 216, 247, 253, 344, 365, 457,
                        472, 491)},
    # 404: something named does not exist
    **{c: 404 for c in (16, 36, 46, 47, 50, 56, 60, 81, 83, 123, 196, 230, 390, 392, 489)},
    164: 403, 192: 403, 193: 403, 194: 403, 516: 403,
    48: 501, 1: 501,
    209: 503, 210: 503, 159: 503, 202: 503,
}
# chDB streams only statements that produce rows; DDL and the rest run in one go.
READ_STATEMENT = re.compile(r"^\s*(\(\s*)*(SELECT|WITH)\b", re.I)
CODE_RE = re.compile(r"Code:\s*(\d+)")
FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.I)
INSERT_FORMAT = re.compile(r"^(?P<head>\s*INSERT\s+INTO\s+.*?)\s+FORMAT\s+(?P<fmt>[A-Za-z0-9_]+)\s*(?P<rest>.*)$", re.I | re.S)

# Host names a request to this machine's loopback listener may carry; anything else is a page
# that rebound its own name to 127.0.0.1.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Table functions that only compute or read this engine's own tables. Every other table function
# chDB knows (system.table_functions at start) is refused: they read or write files, URLs, object
# stores, other databases or run programs, and new chDB versions add more of them.
SAFE_TABLE_FUNCTIONS = {
    "numbers", "numbers_mt", "zeros", "zeros_mt", "generaterandom", "generateseries",
    "generate_series", "primes", "values", "sqlstandardvalues", "null", "view", "viewifpermitted",
    "viewexplain", "merge", "input", "format", "loop", "dictionary", "fuzzjson", "fuzzquery",
    "mergetreeindex", "mergetreeprojection", "mergetreetextindex", "mergetreeanalyzeindexes",
    "mergetreeanalyzeindexesuuid", "mergetreecodecblockcounts",
}
# Engines (table, database, dictionary source, disk) and scalar functions that reach outside the
# data directory; they share the name(...) shape with table functions.
EXTERNAL_NAMES = {
    "file", "url", "s3", "s3queue", "hdfs", "mysql", "postgresql", "materializedpostgresql",
    "materializedmysql", "odbc", "jdbc", "mongodb", "redis", "sqlite", "executable",
    "executablepool", "kafka", "rabbitmq", "nats", "filelog", "azureblobstorage", "azurequeue",
    "http", "https", "clickhouse", "remote", "remotesecure", "cluster", "clusterallreplicas",
    "disk", "filesystem", "backup", "cassandra", "yamlregexptree", "hive", "python", "eval",
    "iceberg", "deltalake", "hudi", "paimon", "gcs", "oss", "cosn", "arrowflight", "ytsaurus",
}
# Statements that read or write files by themselves.
FORBIDDEN_STATEMENTS = {"backup", "restore", "attach"}
FORBIDDEN_SEQUENCES = [("into", "outfile"), ("from", "infile")]
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
HEREDOC = re.compile(r"\$([A-Za-z0-9_]*)\$")


def tokens(sql):
    """Words and punctuation of `sql` with comments and string literals dropped, following
    ClickHouse's lexer: '...' and heredoc strings, `...` and "..." identifiers, --, # and
    nested /* */ comments; and `sql` with only its string literals emptied. An identifier with
    an escape is refused (`fi\\x6ce` is file), and so is text this scanner cannot end, so what
    it cannot read does not pass."""
    out, code, i, n, start = [], [], 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif c == "'":
            code.append(sql[start:i] + "''")
            i += 1
            while True:
                if i >= n:
                    raise forbidden("an unterminated string")
                if sql[i] == "\\":
                    i += 2
                elif sql[i] == "'":
                    if sql[i + 1:i + 2] == "'":
                        i += 2
                    else:
                        i += 1
                        break
                else:
                    i += 1
            start = i
        elif c in "`\"":
            end = sql.find(c, i + 1)
            while end != -1 and sql[end + 1:end + 2] == c:
                end = sql.find(c, end + 2)
            if end == -1:
                raise forbidden("an unterminated quoted identifier")
            name = sql[i + 1:end]
            if "\\" in name:
                raise forbidden("an escape in a quoted identifier")
            out.append(name.lower())
            i = end + 1
        elif sql.startswith("--", i) or (c == "#" and sql[i + 1:i + 2] in (" ", "!")):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
        elif sql.startswith("/*", i):
            depth, i = 1, i + 2
            while depth:
                if i >= n:
                    raise forbidden("an unterminated comment")
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "$" and HEREDOC.match(sql, i):
            tag = HEREDOC.match(sql, i).group(0)
            end = sql.find(tag, i + len(tag))
            if end == -1:
                raise forbidden("an unterminated heredoc")
            code.append(sql[start:i] + "''")
            i = end + len(tag)
            start = i
        else:
            m = WORD.match(sql, i)
            if m:
                out.append(m.group(0).lower())
                i = m.end()
            else:
                out.append(c)
                i += 1
    code.append(sql[start:])
    return out, "".join(code)


def forbidden(what):
    return GatewayError(497, f"Code: 497. DB::Exception: The local gateway refuses {what}: table functions, engines and statements that reach files, URLs, other servers or programs are disabled (ACCESS_DENIED) (version {VERSION})", 403)


def forbidden_use(sql, names):
    """Raises when `sql` calls one of `names` (a set and its compiled name-( pattern) as
    name(...), reads or writes a file with INTO OUTFILE/FROM INFILE, or has a BACKUP, RESTORE or
    ATTACH statement. This is a blocklist over ClickHouse's grammar (chDB has no setting or
    access control that turns these off), so the lexer is backed up: the text with comments
    kept (string literals emptied, so data bound into a query passes) must not show name( either,
    and text the lexer cannot end is refused. A comment mentioning name( is refused too."""
    names, pattern = names
    words, code = tokens(sql)
    raw = pattern.search(code)
    if raw:
        raise forbidden(f"{raw.group(1)}()")
    for prev, word in zip([";"] + words, words):
        if prev == ";" and word in FORBIDDEN_STATEMENTS:
            raise forbidden(word.upper())
    for prev, word in zip(words, words[1:]):
        if word == "(" and prev in names:
            raise forbidden(f"{prev}()")
        if (prev, word) in FORBIDDEN_SEQUENCES:
            raise forbidden(f"{prev.upper()} {word.upper()}")


def host_name(host):
    """The name part of a Host header: [::1]:8123 -> [::1], localhost:8123 -> localhost."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[:host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class GatewayError(Exception):
    """An error with ClickHouse's code and text, answered with the server's status."""

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.status = status or STATUS_BY_CODE.get(code, 500)


def from_chdb(exc):
    text = str(exc).strip()
    text = re.sub(r"^Streaming query failed:\s*", "", text)
    m = CODE_RE.search(text)
    code = int(m.group(1)) if m else 1000
    if not text.startswith("Code:"):
        text = f"Code: {code}. DB::Exception: {text}"
    if "(version" not in text:
        text = f"{text} (version {VERSION})"
    return GatewayError(code, text)


# --- ClickHouse native compression framing: 16-byte CityHash128 | method | csize | usize | data ---

def checksum(block):
    # clickhouse-cityhash returns (first << 64) | second; ClickHouse writes `first` then `second`,
    # each little-endian, i.e. the high half of this integer comes first on the wire.
    h = CityHash128(block)
    return struct.pack("<QQ", h >> 64, h & 0xFFFFFFFFFFFFFFFF)


def decompress_blocks(data):
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 25:
            raise GatewayError(271, "Code: 271. DB::Exception: Truncated compressed block (CANNOT_DECOMPRESS)", 400)
        method = data[pos + 16]
        csize, usize = struct.unpack_from("<II", data, pos + 17)
        block = data[pos + 16:pos + 16 + csize]
        if len(block) != csize:
            raise GatewayError(271, "Code: 271. DB::Exception: Truncated compressed block (CANNOT_DECOMPRESS)", 400)
        if checksum(block) != data[pos:pos + 16]:
            raise GatewayError(40, "Code: 40. DB::Exception: Checksum doesn't match: corrupted data (CHECKSUM_DOESNT_MATCH)", 400)
        payload = block[9:]
        if method == 0x82:
            out.append(lz4.block.decompress(payload, uncompressed_size=usize))
        elif method == 0x02:
            out.append(payload)
        else:
            raise GatewayError(89, f"Code: 89. DB::Exception: Unknown compression method {method:#x} (UNKNOWN_COMPRESSION_METHOD)", 400)
        pos += 16 + csize
    return b"".join(out)


def compress_block(data):
    payload = lz4.block.compress(data, store_size=False)
    block = struct.pack("<BII", 0x82, 9 + len(payload), len(data)) + payload
    return checksum(block) + block


# --- result streaming: chDB repeats the format header in every chunk ---

def read_varint(buf, pos):
    shift = value = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def header_length(fmt, chunk):
    f = fmt.lower()
    if f.startswith("rowbinarywithnames"):
        count, pos = read_varint(chunk, 0)
        strings = count * (2 if f.endswith("andtypes") else 1)
        for _ in range(strings):
            n, pos = read_varint(chunk, pos)
            pos += n
        return pos
    lines = 2 if f.endswith("withnamesandtypes") else 1 if f.endswith("withnames") else 0
    pos = 0
    for _ in range(lines):
        pos = chunk.index(b"\n", pos) + 1
    return pos


# --- sessions ---

class Sessions:
    """One chDB connection per session_id, dropped after its timeout."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.items = {}

    def get(self, session_id, timeout, must_exist):
        now = time.monotonic()
        with self.lock:
            for sid, (conn, lock, expires) in list(self.items.items()):
                if expires < now:
                    conn.close()
                    del self.items[sid]
            if session_id not in self.items:
                if must_exist:
                    raise GatewayError(372, f"Code: 372. DB::Exception: Session {session_id} not found (SESSION_NOT_FOUND)", 404)
                self.items[session_id] = (connect(self.path), threading.Lock(), 0)
            conn, lock, _ = self.items[session_id]
            self.items[session_id] = (conn, lock, now + timeout)
            return conn, lock

    def close(self):
        with self.lock:
            for conn, _, _ in self.items.values():
                conn.close()
            self.items.clear()


class Pool:
    """Idle connections for requests without a session, in two kinds: writable ones and ones
    with readonly=1 for GET (readonly cannot be undone on a connection, so a GET never gets a
    writable connection and a POST never a readonly one). Opening a connection costs tens to
    hundreds of milliseconds once a data directory holds many tables, which dominated small
    queries. A connection goes back only after the request's settings and database are reset, so
    nothing one request set is seen by the next; if resetting fails it is closed instead."""

    def __init__(self, path, size=8):
        self.path = path
        self.size = size
        self.lock = threading.Lock()
        self.idle = {False: [], True: []}

    def take(self, readonly):
        with self.lock:
            if self.idle[readonly]:
                return self.idle[readonly].pop()
        conn = connect(self.path)
        if readonly:
            try:
                conn.query("SET readonly = 1", "TabSeparated")
            except Exception as exc:  # noqa: BLE001
                conn.close()
                raise from_chdb(exc)
        return conn

    def close(self):
        with self.lock:
            for idle in self.idle.values():
                for conn in idle:
                    conn.close()
                idle.clear()

    def give_back(self, conn, readonly, settings, used_database):
        try:
            # A POST that set readonly fails here (readonly cannot be reset) and is not reused.
            for name in settings:
                conn.query(f"SET {name} = DEFAULT", "TabSeparated")
            if used_database:
                conn.query("USE default", "TabSeparated")
        except Exception:  # noqa: BLE001 - any failure: do not reuse this connection
            conn.close()
            return
        with self.lock:
            if len(self.idle[readonly]) < self.size:
                self.idle[readonly].append(conn)
                return
        conn.close()


class Draining:
    """Requests running on chDB connections. At shutdown, keep-alive connections' handler threads
    outlive serve_forever and would take pooled connections after the pool closed; an open chDB
    connection at exit makes the engine abort with a failure status. So shutdown refuses new
    queries (503, as a stopping server does), waits for the running ones, then closes the pools."""

    def __init__(self):
        self.cond = threading.Condition()
        self.running = 0
        self.closing = False

    def enter(self):
        with self.cond:
            if self.closing:
                raise GatewayError(210, f"Code: 210. DB::Exception: Server is shutting down (NETWORK_ERROR) (version {VERSION})", 503)
            self.running += 1

    def leave(self):
        with self.cond:
            self.running -= 1
            self.cond.notify_all()

    def close(self, timeout):
        with self.cond:
            self.closing = True
            self.cond.wait_for(lambda: self.running == 0, timeout)
            return self.running


def connect(path):
    try:
        return sqlitelike.Connection(path)
    except Exception as exc:  # noqa: BLE001 - chDB raises plain RuntimeError
        raise from_chdb(exc)


SETTINGS_CLAUSE = re.compile(r"\s+SETTINGS\s+.*$", re.I | re.S)


def split_settings(head):
    """`INSERT INTO t (a) SETTINGS x = 1` → (`INSERT INTO t (a)`, ` SETTINGS x = 1`): FROM INFILE
    goes between them."""
    m = SETTINGS_CLAUSE.search(head)
    return (head[:m.start()], " " + m.group(0).strip()) if m else (head, "")


def quote(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_multipart(body, content_type):
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise GatewayError(27, "Code: 27. DB::Exception: multipart body without boundary (CANNOT_PARSE_INPUT_ASSERTION_FAILED)", 400)
    delimiter = b"--" + m.group(1).encode()
    fields = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            fields[name.group(1).decode()] = value[:-2] if value.endswith(b"\r\n") else value
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"ClickHouse-chDB-gateway/{VERSION}"
    # Keep-alive clients (the Rust crate pools connections) otherwise wait out Nagle against the
    # client's delayed ACK on every response written in more than one piece: ~40 ms a query.
    disable_nagle_algorithm = True
    # Headers and a small body leave in one segment; handle_one_request flushes after each
    # request, and a streamed result goes out whenever the buffer fills (memory stays bounded).
    wbufsize = 64 * 1024

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    # -- request plumbing --

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(parts)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding", "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding not in ("", "identity"):
            raise GatewayError(89, f"Code: 89. DB::Exception: Unknown Content-Encoding {encoding} (UNKNOWN_COMPRESSION_METHOD)", 400)
        return body

    def send_plain(self, status, text, extra=None):
        data = text.encode() if isinstance(text, str) else text
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            # Say so, or a pooling client reuses the socket and its next request finds it closed.
            self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_error_response(self, err, query_id):
        self.send_plain(err.status, str(err) + "\n", {
            "X-ClickHouse-Exception-Code": str(err.code),
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": "UTC",
        })

    def do_GET(self):
        if not self.admitted():
            return
        url = urlsplit(self.path)
        if url.path in ("/ping", "/replicas_status") or (url.path == "/" and "query=" not in url.query):
            self.send_plain(200, "Ok.\n")
            return
        self.handle_query(readonly=True)

    def do_POST(self):
        if self.admitted():
            self.handle_query(readonly=False)

    def refuse(self, code, status, text):
        # The body is not read: the connection cannot be reused.
        self.close_connection = True
        self.send_error_response(GatewayError(code, f"Code: {code}. DB::Exception: {text} (version {VERSION})", status), str(uuid.uuid4()))

    def admitted(self):
        """Browser requests and rebound host names are refused; answers and returns False."""
        if self.headers.get("Origin") is not None or self.headers.get("Sec-Fetch-Site", "none").lower() != "none":
            self.refuse(497, 403, "Requests from web pages (Origin or Sec-Fetch-Site header) are refused by the local gateway (ACCESS_DENIED)")
            return False
        host = self.headers.get("Host")
        if host is not None and host_name(host) not in self.server.allowed_hosts:
            self.refuse(497, 403, f"Host {host!r} is not a loopback name; the local gateway answers 127.0.0.1, localhost and [::1] only (ACCESS_DENIED)")
            return False
        return True

    def credentials(self, params):
        """(user, password) as ClickHouse reads them, or None when the request carries none."""
        auth = self.headers.get("Authorization")
        if auth is not None:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "basic":
                return ("", None)
            try:
                user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return ("", None)
            return (unquote(user) or "default", password)
        user, key = self.headers.get("X-ClickHouse-User"), self.headers.get("X-ClickHouse-Key")
        if user is not None or key is not None:
            return (user or "default", key or "")
        if "user" in params or "password" in params:
            return (params.get("user") or "default", params.get("password", ""))
        return None

    def authenticate(self, params):
        given = self.credentials(params)
        if given is None:
            raise GatewayError(194, f"Code: 194. DB::Exception: default: Authentication failed: password is required (REQUIRED_PASSWORD) (version {VERSION})", 401)
        user, password = given
        ok_user = hmac.compare_digest(user.encode(), self.server.user.encode())
        ok_password = password is not None and hmac.compare_digest(password.encode(), self.server.password.encode())
        if not (ok_user and ok_password):
            raise GatewayError(516, f"Code: 516. DB::Exception: {user or 'default'}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED) (version {VERSION})", 403)

    # -- queries --

    def handle_query(self, readonly):
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        query_id = params.get("query_id") or str(uuid.uuid4())
        try:
            self.authenticate(params)
            if url.path != "/":
                raise GatewayError(0, f"Code: 0. DB::Exception: There is no handle {url.path} (version {VERSION})", 404)
            if readonly and params.get("session_id"):
                # readonly cannot be undone on a connection; a session must stay writable for POST.
                raise GatewayError(115, f"Code: 115. DB::Exception: session_id is not taken with GET; use POST (version {VERSION})", 400)
            body = b"" if readonly else self.read_body()
            query_params = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                fields = parse_multipart(body, content_type)
                body = b""
                sql = fields.pop("query", b"").decode()
                if params.get("query"):
                    sql = params["query"] + (" " + sql if sql else "")
                query_params.update({k[6:]: v.decode() for k, v in fields.items() if k.startswith("param_")})
            elif "query" in params:
                sql = params["query"]
            else:
                sql, body = body.decode(), b""
            if params.get("decompress") == "1" and body:
                body = decompress_blocks(body)
            settings = {k: v for k, v in params.items() if k not in PROTOCOL_PARAMS and not k.startswith("param_")}
            if readonly:
                # A GET URL (an <img> tag) never writes: its connection comes from the pool's
                # readonly=1 kind (the URL's other settings still apply; readonly=1 cannot be
                # lowered).
                settings.pop("readonly", None)
            forbidden_use(sql, self.server.forbidden_names)
            self.run(sql.strip(), body, params, settings, query_params, query_id, readonly)
        except GatewayError as err:
            if err.status in (401, 403) and not readonly:
                self.close_connection = True
            self.send_error_response(err, query_id)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def connection_for(self, params, readonly, settings):
        """(connection, session lock, where it goes after the request: "pool", "close" or
        "session")."""
        session_id = params.get("session_id")
        if session_id:
            timeout = float(params.get("session_timeout") or 60)
            conn, lock = self.server.sessions.get(session_id, timeout, params.get("session_check") == "1")
            return conn, lock, "session"
        if readonly and settings:
            # readonly=1 refuses SET, so a GET's own settings go first on a connection of its
            # own, readonly=1 last, and the connection is closed afterwards.
            return connect(self.server.data_path), None, "close"
        return self.server.pool.take(readonly), None, "pool"

    def run(self, sql, body, params, settings, query_params, query_id, readonly):
        if not sql:
            raise GatewayError(62, f"Code: 62. DB::Exception: Empty query (SYNTAX_ERROR) (version {VERSION})", 400)
        self.server.draining.enter()
        try:
            self.run_admitted(sql, body, params, settings, query_params, query_id, readonly)
        finally:
            self.server.draining.leave()

    def run_admitted(self, sql, body, params, settings, query_params, query_id, readonly):
        conn, session_lock, after = self.connection_for(params, readonly, settings)
        if session_lock:
            session_lock.acquire()
        try:
            if "database" in params:
                self.execute(conn, f"USE `{params['database'].replace('`', '')}`")
            for name, value in settings.items():
                if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                    raise GatewayError(115, f"Code: 115. DB::Exception: Unknown setting '{name}' (UNKNOWN_SETTING) (version {VERSION})", 400)
                self.execute(conn, f"SET {name} = {quote(value)}")
            if after == "close" and readonly:
                self.execute(conn, "SET readonly = 1")
            insert = INSERT_FORMAT.match(sql)
            if insert and not insert.group("rest").strip(" ;"):
                self.run_insert(conn, insert.group("head"), insert.group("fmt"), body, params, query_id)
            elif body:
                # Data in the body with the query in the URL: ClickHouse appends it as insert data.
                self.run_insert_inline(conn, sql, body, params, query_id)
            else:
                fmt_match = FORMAT_CLAUSE.search(sql)
                fmt = fmt_match.group(1) if fmt_match else params.get("default_format") or "TabSeparated"
                self.run_select(conn, sql, fmt, query_params, params, query_id)
        finally:
            if after == "session":
                session_lock.release()
            elif after == "close":
                conn.close()
            else:
                self.server.pool.give_back(conn, readonly, settings, "database" in params)

    def execute(self, conn, sql):
        try:
            conn.query(sql, "TabSeparated")
        except Exception as exc:  # noqa: BLE001
            raise from_chdb(exc)

    def summary(self, read_rows=0, read_bytes=0, written_rows=0, written_bytes=0, result_rows=0, result_bytes=0, elapsed=0.0):
        return json.dumps({
            "read_rows": str(read_rows), "read_bytes": str(read_bytes),
            "written_rows": str(written_rows), "written_bytes": str(written_bytes),
            "total_rows_to_read": str(read_rows), "result_rows": str(result_rows),
            "result_bytes": str(result_bytes), "elapsed_ns": str(int(elapsed * 1e9)),
        }, separators=(",", ":"))

    def common_headers(self, query_id, fmt):
        self.send_header("X-ClickHouse-Query-Id", query_id)
        self.send_header("X-ClickHouse-Format", fmt)
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb-gateway")

    def finish_insert(self, result, query_id, fmt):
        self.send_response(200)
        self.common_headers(query_id, fmt)
        self.send_header("X-ClickHouse-Summary", self.summary(
            written_rows=result.rows_written(), written_bytes=result.bytes_written(), elapsed=result.elapsed()))
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def run_insert(self, conn, head, fmt, body, params, query_id):
        # Not chDB's streaming inserter: it answers success for a block the table then refuses
        # (a violated constraint, a failing MATERIALIZED expression) and the rows vanish
        # (reproduced with chdb-core 3.x). INSERT … FROM INFILE reports the server's error like
        # clickhouse-server does. The file is the gateway's own, under its data directory.
        before, settings_clause = split_settings(head)
        fd, path = tempfile.mkstemp(dir=self.server.spool_dir, suffix=".insert")
        try:
            with os.fdopen(fd, "wb") as spool:
                spool.write(body)
            result = conn.query(f"{before} FROM INFILE {quote(path)}{settings_clause} FORMAT {fmt}", "TabSeparated")
        except GatewayError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise from_chdb(exc)
        finally:
            os.unlink(path)
        self.finish_insert(result, query_id, fmt)

    def run_insert_inline(self, conn, sql, body, params, query_id):
        m = re.match(r"^\s*(INSERT\s+INTO\s+.*?)(?:\s+VALUES)?\s*$", sql, re.I | re.S)
        if not m:
            raise GatewayError(62, f"Code: 62. DB::Exception: Request body given for a query that takes no data (SYNTAX_ERROR) (version {VERSION})", 400)
        self.run_insert(conn, m.group(1), "Values" if re.search(r"\bVALUES\s*$", sql, re.I) else "TabSeparated", body, params, query_id)

    def run_select(self, conn, sql, fmt, query_params, params, query_id):
        compress = params.get("compress") == "1"
        streamable = (STREAMABLE.match(fmt) and READ_STATEMENT.match(sql)
                      and params.get("wait_end_of_query") != "1")
        started = time.monotonic()
        try:
            if not streamable:
                result = conn.query(sql, fmt, params=query_params)
                data = bytes(result.bytes())
                self.send_response(200)
                self.common_headers(query_id, fmt)
                self.send_header("X-ClickHouse-Summary", self.summary(
                    read_rows=result.rows_read(), read_bytes=result.bytes_read(),
                    result_rows=result.rows_read(), result_bytes=len(data), elapsed=time.monotonic() - started))
                payload = compress_block(data) if compress and data else data
                self.send_header("Content-Type", "text/plain; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            try:
                stream = conn.send_query(sql, fmt, params=query_params)
            except Exception as exc:  # noqa: BLE001
                if "Streaming query is not supported" not in str(exc):
                    raise
                return self.run_select(conn, sql, fmt, query_params, {**params, "wait_end_of_query": "1"}, query_id)
            first = stream.fetch()
            if first is None:
                # An empty stream yields no chunk at all, but clients need the format's header.
                stream.close()
                return self.run_select(conn, sql, fmt, query_params, {**params, "wait_end_of_query": "1"}, query_id)
        except GatewayError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise from_chdb(exc)
        # Headers go out once the first chunk shows the query started without error.
        self.send_response(200)
        self.common_headers(query_id, fmt)
        first_bytes = bytes(first.bytes()) if first is not None else b""
        self.send_header("X-ClickHouse-Summary", self.summary(
            read_rows=first.rows_read() if first is not None else 0,
            read_bytes=first.bytes_read() if first is not None else 0))
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        header_len = header_length(fmt, first_bytes) if first_bytes and not fmt.lower().startswith("native") else 0
        chunk = first_bytes
        try:
            while True:
                if chunk:
                    self.write_chunk(compress_block(chunk) if compress else chunk)
                nxt = stream.fetch()
                if nxt is None:
                    break
                chunk = bytes(nxt.bytes())[header_len:]
        except Exception as exc:  # noqa: BLE001
            # A mid-stream failure must not look like a complete result: drop the connection
            # without the terminating chunk, as the server does.
            sys.stderr.write(f"query {query_id} failed mid-stream: {exc}\n")
            self.close_connection = True
            return
        finally:
            stream.close()
        self.wfile.write(b"0\r\n\r\n")

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("OPTIVIEW_CH_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("OPTIVIEW_CH_PORT", "8123")))
    parser.add_argument("--data-dir", default=os.environ.get("OPTIVIEW_CH_DATA", ".stack/clickhouse"))
    parser.add_argument("--user", default=os.environ.get("OPTIVIEW_CH_USER", "default"))
    parser.add_argument("--password-file", default=os.environ.get("OPTIVIEW_CH_PASSWORD_FILE"),
                        help="file holding the password every query must carry (required)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.password_file:
        parser.error("--password-file (or OPTIVIEW_CH_PASSWORD_FILE) is required")
    with open(args.password_file, encoding="utf-8") as f:
        password = f.read().strip()
    if not password:
        parser.error(f"{args.password_file} is empty")

    os.makedirs(args.data_dir, exist_ok=True)
    # One chDB data directory per process: the engine is loaded once for this path.
    data_path = os.path.abspath(args.data_dir)
    probe = connect(data_path)
    try:
        functions = bytes(probe.query("SELECT name FROM system.table_functions", "TabSeparated").bytes()).decode().split()
    finally:
        probe.close()

    server = Gateway((args.host, args.port), Handler)
    server.user = args.user
    server.password = password
    names = ({f.lower() for f in functions} - SAFE_TABLE_FUNCTIONS) | EXTERNAL_NAMES
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")[\s`\"]*\(", re.I)
    server.forbidden_names = (names, pattern)
    server.allowed_hosts = LOOPBACK_HOSTS | ({args.host.lower()} if args.host not in ("0.0.0.0", "::") else set())
    server.data_path = data_path
    # Insert bodies pass through files here (see Handler.run_insert); nobody else reads them.
    server.spool_dir = data_path + ".insert-spool"
    os.makedirs(server.spool_dir, mode=0o700, exist_ok=True)
    server.sessions = Sessions(data_path)
    server.pool = Pool(data_path)
    server.draining = Draining()
    server.verbose = args.verbose

    def stop(signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"clickhouse gateway listening on http://{args.host}:{server.server_address[1]} data={data_path}", flush=True)
    server.serve_forever()
    left = server.draining.close(timeout=20)
    if left:
        print(f"clickhouse gateway: {left} queries still running at shutdown", file=sys.stderr, flush=True)
    server.sessions.close()
    # Open chDB connections at interpreter exit make the engine abort (non-zero exit status).
    server.pool.close()
    server.server_close()


if __name__ == "__main__":
    main()
