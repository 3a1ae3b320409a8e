//! HTTP/1.1: the one handler every server answers with (hyper 1.x on each
//! runtime, through the adapter crate its users use, see
//! `Runtime::HTTP`), the blocking thread-per-connection reference on std
//! threads, and the cases. The client's side (the request, the check of
//! every response) is the load generator's ([`rtbench_loadgen::http`]).

pub mod wrk;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use rtbench_format::{Description, Flavor, TimerClass};
use rtbench_loadgen::http::Route;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::SystemTime;

/// One `http` case: a route, the connections that ask for it, the server's
/// cores (1: split placement; more: shared with the generator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpCase {
    pub route: Route,
    pub connections: usize,
    pub cores: usize,
}

impl HttpCase {
    /// plaintext and JSON at 16 and 256 connections on 1 core, and
    /// plaintext at 256 on 2 cores (shared with the generator).
    pub fn matrix() -> Vec<HttpCase> {
        let one_core = Route::ALL.into_iter().flat_map(|route| {
            [16, 256].map(|connections| HttpCase {
                route,
                connections,
                cores: 1,
            })
        });
        one_core
            .chain([HttpCase {
                route: Route::Plaintext,
                connections: 256,
                cores: 2,
            }])
            .collect()
    }

    /// The id suffix, e.g. `plaintext-16c`, `plaintext-256c-2cores`.
    pub fn label(&self) -> String {
        let cores = match self.cores {
            1 => String::new(),
            n => format!("-{n}cores"),
        };
        format!("{}-{}c{cores}", self.route.label(), self.connections)
    }

    /// Requests of one closed-loop iteration: 8 on every connection, so a
    /// sample of a few iterations is mostly steady state. Each sample starts
    /// with every connection idle and ends draining them: with a request
    /// per connection per iteration, criterion's 2-iteration samples held
    /// std-threads at 256 connections to 112 k/s, 14-iteration ones to 132 k/s.
    pub fn requests_per_iter(&self) -> u64 {
        8 * self.connections as u64
    }

    pub fn params(&self) -> BTreeMap<String, f64> {
        [
            ("connections".to_string(), self.connections as f64),
            ("body_bytes".to_string(), self.route.body().len() as f64),
            ("server_cores".to_string(), self.cores as f64),
        ]
        .into()
    }
}

/// `std-threads` serving HTTP: a thread per connection.
pub fn std_threads_description(connections: usize) -> Description {
    Description {
        name: "std-threads".into(),
        flavor: Flavor::Reference,
        workers: connections,
        timer_class: TimerClass::Os,
        driver: "blocking".into(),
        knobs: [
            (
                "threads".to_string(),
                "one per connection, 8 KiB request buffer".to_string(),
            ),
            (
                "http".to_string(),
                "none: httparse, blocking reads and writes (no hyper)".to_string(),
            ),
        ]
        .into(),
        notes: vec!["no runtime: the blocking design async servers are measured against".into()],
    }
}

/// The JSON route's object, serialized per request.
#[derive(serde::Serialize)]
struct Message {
    message: &'static str,
}

/// The body of `route`, made as a server makes it: the plaintext is a
/// constant, the JSON object is serialized for every request.
pub fn body(route: Route) -> Bytes {
    match route {
        Route::Plaintext => Bytes::from_static(rtbench_loadgen::http::PLAINTEXT),
        Route::Json => Bytes::from(
            serde_json::to_vec(&Message {
                message: "Hello, World!",
            })
            .expect("a struct of one string serializes"),
        ),
    }
}

/// The handler every hyper server runs, whatever its runtime: the route's
/// body with its content type, or 404.
pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(respond(req.uri().path()))
}

fn respond(path: &str) -> Response<Full<Bytes>> {
    let Some(route) = Route::of_path(path) else {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_FOUND;
        return r;
    };
    let mut r = Response::new(Full::new(body(route)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(route.content_type()));
    r
}

/// Serves one connection with hyper's HTTP/1.1 server (keep-alive, its
/// defaults) and [`handle`], until the client closes it or an error.
pub async fn serve_hyper<I>(io: I)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    let service = hyper::service::service_fn(handle);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// Longest request head the std server reads before it gives up on the connection.
const MAX_REQUEST: usize = 8192;

/// The reference: serves one connection on its own blocking thread, as
/// "Too many web servers" starts out (a request head parsed by httparse,
/// the response written whole), with the headers hyper sends (`date`,
/// `content-type`, `content-length`), until the client closes it.
pub fn serve_std(mut stream: TcpStream) {
    if stream.set_nonblocking(false).is_err() || stream.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = vec![0u8; MAX_REQUEST];
    let (mut filled, mut out) = (0, Vec::with_capacity(256));
    let mut date = Date::default();
    loop {
        // Answer every complete request read so far, in order.
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            let used = match req.parse(&buf[..filled]) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => break,
                Err(_) => return,
            };
            out.clear();
            write_response(&mut out, req.path.and_then(Route::of_path), date.now());
            if stream.write_all(&out).is_err() {
                return;
            }
            buf.copy_within(used..filled, 0);
            filled -= used;
        }
        if filled == buf.len() {
            return;
        }
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

fn write_response(out: &mut Vec<u8>, route: Option<Route>, date: &str) {
    let (status, kind, body) = match route {
        Some(r) => ("200 OK", r.content_type(), body(r)),
        None => ("404 Not Found", "text/plain", Bytes::new()),
    };
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\ndate: {date}\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(&body);
}

/// The `date` header, formatted once a second as hyper's is.
#[derive(Default)]
struct Date {
    second: u64,
    text: String,
}

impl Date {
    fn now(&mut self) -> &str {
        let now = SystemTime::now();
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if second != self.second || self.text.is_empty() {
            self.second = second;
            self.text = httpdate::fmt_http_date(now);
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_has_four_one_core_cases_and_one_on_two() {
        let labels: Vec<String> = HttpCase::matrix().iter().map(HttpCase::label).collect();
        assert_eq!(
            labels,
            [
                "plaintext-16c",
                "plaintext-256c",
                "json-16c",
                "json-256c",
                "plaintext-256c-2cores"
            ]
        );
    }

    #[test]
    fn every_route_serves_the_body_the_client_checks() {
        for route in Route::ALL {
            assert_eq!(&body(route)[..], route.body());
        }
    }
}
