//! What the open-loop tests share: a blocking echo server with a hook.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

/// A blocking echo server, a thread per connection, that calls `before(now)`
/// before echoing each message of `msg` bytes. It stops when the test ends
/// (its threads exit when the client closes).
pub fn hooked_server(msg: usize, before: impl Fn() + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let before = Arc::new(before);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let before = before.clone();
            s.set_nodelay(true).unwrap();
            thread::spawn(move || {
                let mut buf = vec![0u8; msg];
                while s.read_exact(&mut buf).is_ok() {
                    before();
                    if s.write_all(&buf).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
