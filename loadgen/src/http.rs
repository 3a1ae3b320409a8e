//! HTTP/1.1 for the load generator: the routes every HTTP server of the
//! `http` workload answers (the request is the client's, so it lives here,
//! as `work_request` does; the servers read [`Route`] to answer), and the
//! check of each response as it arrives: status line, the headers the
//! client needs (`Content-Length`, `Content-Type`) and the body, byte for
//! byte. One request at a time per connection: keep-alive, no pipelining.

use std::io;

/// The body of `GET /plaintext` (TechEmpower's plaintext test).
pub const PLAINTEXT: &[u8] = b"Hello, World!";
/// The body of `GET /json`: the object `{"message": "Hello, World!"}` as
/// serde_json writes it (TechEmpower's JSON test; servers serialize it per request).
pub const JSON: &[u8] = br#"{"message":"Hello, World!"}"#;
/// Most header lines a response may carry before the client calls it malformed.
const MAX_HEADERS: usize = 16;
/// Longest response head the client accepts.
pub(crate) const MAX_HEAD: usize = 4096;

/// What a client asks of an HTTP server of the `http` workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /plaintext`: 13 bytes of `text/plain`.
    Plaintext,
    /// `GET /json`: a small object, serialized by the server per request.
    Json,
}

impl Route {
    pub const ALL: [Route; 2] = [Route::Plaintext, Route::Json];

    pub fn path(self) -> &'static str {
        match self {
            Route::Plaintext => "/plaintext",
            Route::Json => "/json",
        }
    }

    /// Its name in case labels and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Route::Plaintext => "plaintext",
            Route::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Route::Plaintext => "text/plain",
            Route::Json => "application/json",
        }
    }

    /// The body every server must answer with.
    pub fn body(self) -> &'static [u8] {
        match self {
            Route::Plaintext => PLAINTEXT,
            Route::Json => JSON,
        }
    }

    /// The route of a request path, if it is one.
    pub fn of_path(path: &str) -> Option<Route> {
        Route::ALL.into_iter().find(|r| r.path() == path)
    }

    /// The request a client sends: `GET`, HTTP/1.1 (keep-alive is its
    /// default), the `Host` header it requires and nothing more, as wrk sends.
    pub fn request(self, host: &str) -> Box<[u8]> {
        format!("GET {} HTTP/1.1\r\nHost: {host}\r\n\r\n", self.path())
            .into_bytes()
            .into_boxed_slice()
    }
}

/// A response being read: its bytes so far, checked once its head is
/// complete and again once its body is.
#[derive(Debug, Default)]
pub(crate) struct Response {
    /// The bytes read so far (reused: no allocation per round trip).
    buf: Vec<u8>,
    /// The head's length, once it is complete, and the whole response's.
    parsed: Option<(usize, usize)>,
}

impl Response {
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.parsed = None;
    }

    /// Bytes read of the current response.
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// Takes `got`, the next bytes of the response to `route`; returns
    /// whether the response is now complete and correct. A response that
    /// is wrong (not `200`, a header missing or different, a body that
    /// differs, bytes past its end) is an error, `InvalidData`.
    pub(crate) fn take(&mut self, got: &[u8], route: Route) -> io::Result<bool> {
        self.buf.extend_from_slice(got);
        let (head, total) = match self.parsed {
            Some(p) => p,
            None => match parse_head(&self.buf, route)? {
                Some(p) => {
                    self.parsed = Some(p);
                    p
                }
                None => return Ok(false),
            },
        };
        if self.buf.len() < total {
            return Ok(false);
        }
        if self.buf.len() > total {
            return Err(invalid(format!(
                "{} bytes past the end of a {total}-byte response (one request was in flight)",
                self.buf.len() - total
            )));
        }
        if &self.buf[head..] != route.body() {
            return Err(invalid(format!(
                "body {:?} is not {:?}",
                String::from_utf8_lossy(&self.buf[head..]),
                String::from_utf8_lossy(route.body())
            )));
        }
        Ok(true)
    }
}

/// The head's length and the response's, once the head is complete and
/// right for `route`; `None` while it is incomplete.
fn parse_head(buf: &[u8], route: Route) -> io::Result<Option<(usize, usize)>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let head = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(invalid(format!("no end of the head in {MAX_HEAD} bytes")));
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(invalid(format!("malformed response head: {e}"))),
    };
    if resp.version != Some(1) || resp.code != Some(200) {
        return Err(invalid(format!(
            "status line HTTP/1.{} {} {}, not HTTP/1.1 200",
            resp.version.unwrap_or(0),
            resp.code.unwrap_or(0),
            resp.reason.unwrap_or("")
        )));
    }
    let header = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
    };
    let length: usize = match header("content-length").map(|v| v.parse()) {
        Some(Ok(n)) => n,
        Some(Err(_)) | None => {
            return Err(invalid(
                "no valid Content-Length (a chunked body is not what was asked)".into(),
            ));
        }
    };
    if length != route.body().len() {
        return Err(invalid(format!(
            "Content-Length {length}, not {}",
            route.body().len()
        )));
    }
    match header("content-type") {
        Some(t) if t.starts_with(route.content_type()) => {}
        other => {
            return Err(invalid(format!(
                "Content-Type {other:?}, not {}",
                route.content_type()
            )));
        }
    }
    if header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close")) {
        return Err(invalid(
            "Connection: close on a keep-alive connection".into(),
        ));
    }
    Ok(Some((head, head + length)))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] =
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\ndate: x\r\n\r\nHello, World!";

    #[test]
    fn a_response_in_pieces_completes_at_its_last_byte() {
        let mut r = Response::default();
        for (k, b) in OK.iter().enumerate() {
            let done = r.take(std::slice::from_ref(b), Route::Plaintext).unwrap();
            assert_eq!(done, k == OK.len() - 1, "byte {k}");
        }
        r.clear();
        assert!(r.take(OK, Route::Plaintext).unwrap());
    }

    #[test]
    fn wrong_responses_are_errors() {
        let bad: [&[u8]; 6] = [
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\n\r\nHello, World!",
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, world!",
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\nHello, World",
            b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nHello, World!!",
        ];
        for b in bad {
            let mut r = Response::default();
            let e = r.take(b, Route::Plaintext).unwrap_err();
            assert_eq!(
                e.kind(),
                io::ErrorKind::InvalidData,
                "{}",
                String::from_utf8_lossy(b)
            );
        }
    }

    #[test]
    fn requests_name_their_route_and_host() {
        assert_eq!(
            &*Route::Json.request("127.0.0.1:8080"),
            b"GET /json HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
        );
        assert_eq!(Route::of_path("/plaintext"), Some(Route::Plaintext));
        assert_eq!(Route::of_path("/"), None);
    }
}
