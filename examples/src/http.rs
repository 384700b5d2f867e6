//! Just enough HTTP/1.1 for `http_get`: an `http://` URL (a host name, or
//! an IP literal), the GET request, and the response: status line, headers, and a
//! body framed by `Content-Length`, chunked transfer coding, or the end of
//! the connection (RFC 9112 §6.3).
//!
//! The response is untrusted input: lines and headers are bounded, sizes
//! are checked, and every malformed part is an [`HttpError`], not a panic.

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::IpAddr;

/// The longest status or header line accepted.
pub const MAX_LINE: usize = 8 * 1024;
/// The most header fields accepted.
pub const MAX_HEADERS: usize = 100;

/// A parsed `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// The server: a host name, or an IP address (an IPv6 one without its
    /// brackets).
    pub hostname: String,
    /// The port (80 when absent).
    pub port: u16,
    /// The `Host` header's value, as the URL spells the authority.
    pub host: String,
    /// The request target: the path and query, `/` when empty.
    pub path: String,
}

/// Why a URL is not one `http_get` can fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// Not `http://`.
    Scheme(String),
    /// A malformed authority (empty host, bad IPv6 literal or port).
    Authority(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Scheme(s) => write!(f, "unsupported URL scheme {s:?}: only http:// is"),
            UrlError::Authority(a) => write!(f, "bad host or port in URL: {a:?}"),
        }
    }
}

impl std::error::Error for UrlError {}

impl std::str::FromStr for Url {
    type Err = UrlError;

    /// RFC 3986 §3: `http://` authority, then the path; userinfo and
    /// fragments are not accepted or sent.
    fn from_str(s: &str) -> Result<Url, UrlError> {
        let rest = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => return Err(UrlError::Scheme(scheme.to_string())),
            None => return Err(UrlError::Scheme(String::new())),
        };
        // The fragment is the client's own; it is never sent (§3.5).
        let rest = rest.split('#').next().unwrap_or("");
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        let bad = || UrlError::Authority(authority.to_string());
        if authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (inside, after) = v6.split_once(']').ok_or_else(bad)?;
            let ip: IpAddr = inside
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| bad())?
                .into();
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            (ip.to_string(), port)
        } else {
            let (h, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            if h.is_empty() {
                return Err(bad());
            }
            // RFC 1123 §2.1: letters, digits, hyphens and dots; an IPv4
            // literal is of the same characters.
            let name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
            if !h.chars().all(name_char) {
                return Err(bad());
            }
            (h.to_string(), port)
        };
        let port = match port {
            None | Some("") => 80,
            Some(p) => p.parse::<u16>().ok().filter(|&p| p != 0).ok_or_else(bad)?,
        };
        Ok(Url {
            hostname: host,
            port,
            host: authority.to_string(),
            path,
        })
    }
}

impl Url {
    /// The GET request for this URL: HTTP/1.1 with `Host` (RFC 9112 §3.2
    /// requires it) and `Connection: close`, so the server ends the
    /// connection after the response.
    pub fn get_request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rstcp-http_get\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            self.path, self.host
        )
    }
}

/// What is wrong with a response.
#[derive(Debug)]
pub enum HttpError {
    /// Reading from the connection failed.
    Io(io::Error),
    /// The connection ended before the response did.
    Truncated(&'static str),
    /// A line longer than [`MAX_LINE`], or more than [`MAX_HEADERS`] fields.
    TooLong(&'static str),
    /// Not a status line of HTTP/1.x.
    StatusLine(String),
    /// A header line without a colon, or a bad `Content-Length`.
    Header(String),
    /// A chunk size that is not hexadecimal or overflows.
    Chunk(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Io(e) => write!(f, "reading the response: {e}"),
            HttpError::Truncated(what) => write!(f, "the connection closed in the {what}"),
            HttpError::TooLong(what) => write!(f, "response {what} too long"),
            HttpError::StatusLine(l) => write!(f, "not an HTTP/1.x status line: {l:?}"),
            HttpError::Header(l) => write!(f, "malformed header: {l:?}"),
            HttpError::Chunk(l) => write!(f, "malformed chunk size line: {l:?}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<io::Error> for HttpError {
    fn from(e: io::Error) -> HttpError {
        HttpError::Io(e)
    }
}

/// A response's status line and header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The status line as received, without its CRLF.
    pub status_line: String,
    /// The three-digit status code.
    pub status: u16,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

/// How the body's end is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: 1xx, 204 and 304.
    Empty,
    /// Chunked transfer coding.
    Chunked,
    /// Exactly this many bytes.
    Length(u64),
    /// Everything until the server closes.
    UntilClose,
}

impl Head {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// How the body that follows is framed. Chunked wins over a
    /// `Content-Length` (§6.3 rule 3); differing lengths are an error
    /// (rule 5), since the body's end would be a guess.
    pub fn framing(&self) -> Result<Framing, HttpError> {
        if (100..200).contains(&self.status) || self.status == 204 || self.status == 304 {
            return Ok(Framing::Empty);
        }
        let chunked = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
            .flat_map(|(_, v)| v.split(','))
            .last()
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        if chunked {
            return Ok(Framing::Chunked);
        }
        let mut length = None;
        for (_, v) in self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        {
            for part in v.split(',') {
                let part = part.trim();
                let n = part
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| part.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| HttpError::Header(format!("Content-Length: {v}")))?;
                if length.is_some_and(|l| l != n) {
                    return Err(HttpError::Header(format!("Content-Length: {v}")));
                }
                length = Some(n);
            }
        }
        Ok(length.map_or(Framing::UntilClose, Framing::Length))
    }
}

/// Reads one line ending in LF (a CR before it dropped), at most
/// [`MAX_LINE`] bytes; `None` at a clean end of input.
fn read_line<R: BufRead>(r: &mut R, what: &'static str) -> Result<Option<String>, HttpError> {
    let mut line = Vec::new();
    let n = r.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > MAX_LINE {
            HttpError::TooLong(what)
        } else {
            HttpError::Truncated(what)
        });
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Reads the status line and header fields (RFC 9112 §4, §5). Interim 1xx
/// responses are skipped: the final response is the one returned.
pub fn read_head<R: BufRead>(r: &mut R) -> Result<Head, HttpError> {
    loop {
        let head = read_one_head(r)?;
        // 101 switches protocols: the caller never asks for it, so it is
        // a final answer here, not an interim one.
        if (100..200).contains(&head.status) && head.status != 101 {
            continue;
        }
        return Ok(head);
    }
}

fn read_one_head<R: BufRead>(r: &mut R) -> Result<Head, HttpError> {
    let status_line = read_line(r, "status line")?.ok_or(HttpError::Truncated("status line"))?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(HttpError::StatusLine(status_line));
    }
    let status = match code.parse::<u16>() {
        Ok(s) if code.bytes().all(|b| b.is_ascii_digit()) && s >= 100 => s,
        _ => return Err(HttpError::StatusLine(status_line)),
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, "headers")?.ok_or(HttpError::Truncated("headers"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() == MAX_HEADERS {
            return Err(HttpError::TooLong("header section"));
        }
        let (name, value) = line
            .split_once(':')
            .filter(|(n, _)| !n.is_empty() && !n.contains([' ', '\t']))
            .ok_or_else(|| HttpError::Header(line.clone()))?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Head {
        status_line,
        status,
        headers,
    })
}

/// Copies the body that follows `head` to `out`, decoding chunked transfer
/// coding; returns the body's length. A body cut short is an error, so a
/// caller never mistakes part of a file for all of it.
pub fn copy_body<R: BufRead, W: Write>(
    r: &mut R,
    head: &Head,
    out: &mut W,
) -> Result<u64, HttpError> {
    match head.framing()? {
        Framing::Empty => Ok(0),
        Framing::UntilClose => Ok(io::copy(r, out)?),
        Framing::Length(n) => copy_exact(r, n, out, "body").map(|()| n),
        Framing::Chunked => copy_chunked(r, out),
    }
}

fn copy_exact<R: BufRead, W: Write>(
    r: &mut R,
    n: u64,
    out: &mut W,
    what: &'static str,
) -> Result<(), HttpError> {
    let copied = io::copy(&mut r.take(n), out)?;
    if copied < n {
        return Err(HttpError::Truncated(what));
    }
    Ok(())
}

/// RFC 9112 §7.1: `size[;ext] CRLF data CRLF` … `0 CRLF trailers CRLF`.
fn copy_chunked<R: BufRead, W: Write>(r: &mut R, out: &mut W) -> Result<u64, HttpError> {
    let mut total = 0u64;
    loop {
        let line = read_line(r, "chunked body")?.ok_or(HttpError::Truncated("chunked body"))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let n = (!size.is_empty() && size.len() <= 16)
            .then(|| u64::from_str_radix(size, 16).ok())
            .flatten()
            .ok_or_else(|| HttpError::Chunk(line.clone()))?;
        if n == 0 {
            break;
        }
        copy_exact(r, n, out, "chunked body")?;
        total = total.saturating_add(n);
        match read_line(r, "chunked body")? {
            Some(end) if end.is_empty() => {}
            Some(end) => return Err(HttpError::Chunk(end)),
            None => return Err(HttpError::Truncated("chunked body")),
        }
    }
    // Trailer fields, then the empty line (§7.1.2); their content is not
    // needed, but a bounded number of them is read.
    for _ in 0..=MAX_HEADERS {
        match read_line(r, "trailers")? {
            Some(l) if l.is_empty() => return Ok(total),
            Some(_) => {}
            None => return Err(HttpError::Truncated("trailers")),
        }
    }
    Err(HttpError::TooLong("trailer section"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Result<Url, UrlError> {
        s.parse()
    }

    #[test]
    fn urls_with_ip_literals() {
        let u = url("http://192.168.69.100:8080/file?x=1#top").unwrap();
        assert_eq!((u.hostname.as_str(), u.port), ("192.168.69.100", 8080));
        assert_eq!(u.host, "192.168.69.100:8080");
        assert_eq!(u.path, "/file?x=1");
        let u = url("HTTP://10.0.0.1").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u = url("http://[fd00::100]:81").unwrap();
        assert_eq!((u.hostname.as_str(), u.port), ("fd00::100", 81));
        assert_eq!(u.host, "[fd00::100]:81");
        let u = url("http://[fd00::100]/a/b").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/a/b"));
        assert_eq!(url("http://10.0.0.1?q").unwrap().path, "/?q");
        let req = url("http://10.0.0.1:8080/f").unwrap().get_request();
        assert!(req.starts_with("GET /f HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n"));
        assert!(req.contains("\r\nConnection: close\r\n"));
        assert!(req.ends_with("\r\n\r\n"));
    }

    #[test]
    fn urls_with_host_names() {
        let u = url("http://web.lan:8080/x").unwrap();
        assert_eq!((u.hostname.as_str(), u.port), ("web.lan", 8080));
        assert_eq!(u.host, "web.lan:8080");
        let u = url("http://Web-1.Example.COM/").unwrap();
        assert_eq!((u.hostname.as_str(), u.port), ("Web-1.Example.COM", 80));
    }

    #[test]
    fn urls_refused_with_a_reason() {
        assert!(matches!(
            url("https://10.0.0.1/"),
            Err(UrlError::Scheme(s)) if s == "https"
        ));
        assert!(matches!(url("10.0.0.1/"), Err(UrlError::Scheme(_))));
        for bad in [
            "http:///x",
            "http://10.0.0.1:99999/",
            "http://10.0.0.1:0/",
            "http://10.0.0.1:x/",
            "http://[fd00::1/",
            "http://[zz::1]/",
            "http://[fd00::1]x/",
            "http://fd00::1/",
            "http://u@10.0.0.1/",
            "http://a_b.lan/",
            "http://a%2f.lan/",
        ] {
            assert!(matches!(url(bad), Err(UrlError::Authority(_))), "{bad}");
        }
    }

    fn get(response: &[u8]) -> Result<(Head, Vec<u8>), HttpError> {
        let mut r = response;
        let head = read_head(&mut r)?;
        let mut body = Vec::new();
        copy_body(&mut r, &head, &mut body)?;
        Ok((head, body))
    }

    #[test]
    fn content_length_body() {
        let (head, body) =
            get(b"HTTP/1.0 200 OK\r\nServer: x\r\nContent-Length: 5\r\n\r\nhello and more")
                .unwrap();
        assert_eq!(head.status_line, "HTTP/1.0 200 OK");
        assert!(head.is_success());
        assert_eq!(head.header("content-length"), Some("5"));
        assert_eq!(body, b"hello");
        let e = get(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhello").unwrap_err();
        assert!(matches!(e, HttpError::Truncated("body")), "{e}");
        for bad in ["-1", "5x", "5, 6", ""] {
            let resp = format!("HTTP/1.1 200 OK\r\nContent-Length: {bad}\r\n\r\nhello");
            assert!(
                matches!(get(resp.as_bytes()), Err(HttpError::Header(_))),
                "{bad}"
            );
        }
        // The same length twice is allowed (RFC 9112 §6.3 rule 5).
        let (_, body) = get(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi").unwrap();
        assert_eq!(body, b"hi");
    }

    #[test]
    fn chunked_body() {
        let resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n\
            5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nnext";
        let (_, body) = get(resp).unwrap();
        assert_eq!(body, b"hello 0123456789");
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel";
        assert!(matches!(get(cut), Err(HttpError::Truncated(_))));
        let no_end = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n";
        assert!(matches!(get(no_end), Err(HttpError::Truncated(_))));
        for bad in ["zz", "", "11111111111111111", "-1"] {
            let resp = format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{bad}\r\nhi\r\n0\r\n\r\n"
            );
            assert!(
                matches!(get(resp.as_bytes()), Err(HttpError::Chunk(_))),
                "{bad}"
            );
        }
        let no_crlf = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhiX\r\n0\r\n\r\n";
        assert!(matches!(get(no_crlf), Err(HttpError::Chunk(_))));
    }

    #[test]
    fn body_until_close_and_bodiless_statuses() {
        let (head, body) = get(b"HTTP/1.1 404 Not Found\r\n\r\nnot here").unwrap();
        assert_eq!(head.status, 404);
        assert!(!head.is_success());
        assert_eq!(body, b"not here");
        let (head, body) = get(b"HTTP/1.1 204 No Content\r\n\r\nignored").unwrap();
        assert_eq!((head.status, body.len()), (204, 0));
        // An interim 100 Continue is skipped.
        let (head, body) =
            get(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
        assert_eq!((head.status, &body[..]), (200, &b"ok"[..]));
        // Bare LF line ends are tolerated.
        let (_, body) = get(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok").unwrap();
        assert_eq!(body, b"ok");
    }

    #[test]
    fn malformed_heads() {
        for bad in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/2 200 OK\r\n\r\n",
        ] {
            assert!(
                matches!(get(bad), Err(HttpError::StatusLine(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(get(b""), Err(HttpError::Truncated(_))));
        assert!(matches!(
            get(b"HTTP/1.1 200 OK\r\nServer"),
            Err(HttpError::Truncated(_))
        ));
        assert!(matches!(
            get(b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n"),
            Err(HttpError::Header(_))
        ));
        let long = format!(
            "HTTP/1.1 200 OK\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_LINE + 10)
        );
        assert!(matches!(get(long.as_bytes()), Err(HttpError::TooLong(_))));
        let many = format!(
            "HTTP/1.1 200 OK\r\n{}\r\n",
            "X: 1\r\n".repeat(MAX_HEADERS + 1)
        );
        assert!(matches!(get(many.as_bytes()), Err(HttpError::TooLong(_))));
    }
}
