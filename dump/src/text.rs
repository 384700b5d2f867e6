//! The default rendering: one tcpdump-style (`-n`) line per frame.

use super::model::{Frame, Ip, L4};
use core::fmt::Write;

/// Renders a frame as one line, e.g.
/// `12:00:01.000123 IP 10.0.0.1.80 > 10.0.0.2.5000: Flags [S.], seq 1, ack 2, win 512, options [mss 1460], length 0`.
pub fn to_text(f: &Frame) -> String {
    let mut s = String::with_capacity(160);
    let secs_of_day = f.ts.0 % 86_400;
    let _ = write!(
        s,
        "{:02}:{:02}:{:02}.{:06} ",
        secs_of_day / 3600,
        (secs_of_day / 60) % 60,
        secs_of_day % 60,
        f.ts.1 / 1000
    );
    for v in &f.vlan {
        let _ = write!(s, "vlan {} p {}, ", v.id, v.pcp);
    }
    if let Some(a) = &f.arp {
        match (a.op, &a.addrs) {
            (1, Some(x)) => {
                let _ = write!(s, "ARP, Request who-has {} tell {}", x.tpa, x.spa);
            }
            (2, Some(x)) => {
                let _ = write!(s, "ARP, Reply {} is-at {}", x.spa, x.sha);
            }
            (op, Some(x)) => {
                let _ = write!(s, "ARP, op {op} {} > {}", x.spa, x.tpa);
            }
            (op, None) => {
                let _ = write!(s, "ARP, op {op}");
            }
        }
        let _ = write!(s, ", length {}", f.len);
    } else {
        match &f.ip {
            Some(ip) => ip_line(&mut s, f, ip),
            None => match &f.eth {
                Some(e) => {
                    let _ = write!(s, "{} > {}, ", e.src, e.dst);
                    let _ = match e.ethertype {
                        Some(t) => write!(s, "ethertype 0x{t:04x}, length {}", f.len),
                        None => write!(s, "802.3, length {}", f.len),
                    };
                }
                None => {
                    let _ = write!(s, "length {}", f.len);
                }
            },
        }
    }
    if let Some(e) = &f.error {
        let _ = write!(s, " [|{}: {}]", e.layer, e.reason);
    }
    s
}

fn ip_line(s: &mut String, f: &Frame, ip: &Ip) {
    let (tag, src, dst, frag) = match ip {
        Ip::V4(v) => {
            let frag = v.mf || v.frag_offset != 0;
            (
                "IP",
                v.src.to_string(),
                v.dst.to_string(),
                frag.then_some((v.id, v.frag_offset, v.mf)),
            )
        }
        Ip::V6(v) => ("IP6", v.src.to_string(), v.dst.to_string(), None),
    };
    let _ = write!(s, "{tag} ");
    match &f.l4 {
        Some(L4::Tcp(t)) => {
            let _ = write!(
                s,
                "{src}.{} > {dst}.{}: Flags [{}], seq {}",
                t.src_port,
                t.dst_port,
                tcp_flags(t.flags),
                t.seq
            );
            if t.flags & 0x10 != 0 {
                let _ = write!(s, ", ack {}", t.ack);
            }
            let _ = write!(s, ", win {}", t.window);
            let o = &t.options;
            let mut parts: Vec<String> = Vec::new();
            if let Some(m) = o.mss {
                parts.push(format!("mss {m}"));
            }
            if o.sack_perm {
                parts.push("sackOK".into());
            }
            if let Some((v, e)) = o.ts {
                parts.push(format!("TS val {v} ecr {e}"));
            }
            if let Some(w) = o.wscale {
                parts.push(format!("wscale {w}"));
            }
            if !o.sack.is_empty() {
                let blocks: Vec<String> =
                    o.sack.iter().map(|(l, r)| format!("{{{l}:{r}}}")).collect();
                parts.push(format!("sack {} {}", o.sack.len(), blocks.join("")));
            }
            if !parts.is_empty() {
                let _ = write!(s, ", options [{}]", parts.join(","));
            }
            let _ = write!(s, ", length {}", t.payload_len);
            if t.checksum_ok == Some(false) {
                s.push_str(" (bad cksum)");
            }
        }
        Some(L4::Udp(u)) => {
            let _ = write!(s, "{src}.{} > {dst}.{}: UDP", u.src_port, u.dst_port);
            if let Some(d) = &f.dhcp {
                let _ = write!(s, ", DHCP op {} xid 0x{:08x}", d.op, d.xid);
                if let Some(t) = d.msg_type {
                    let _ = write!(s, " {}", dhcp_type(t));
                }
            }
            let _ = write!(s, ", length {}", u.len.saturating_sub(8));
            if u.checksum_ok == Some(false) {
                s.push_str(" (bad cksum)");
            }
        }
        Some(L4::Icmp(i)) | Some(L4::Icmpv6(i)) => {
            let v6 = matches!(f.l4, Some(L4::Icmpv6(_)));
            let _ = write!(
                s,
                "{src} > {dst}: {} type {} code {}",
                if v6 { "ICMP6" } else { "ICMP" },
                i.ty,
                i.code
            );
            if let Some(name) = icmp_name(v6, i.ty) {
                let _ = write!(s, " ({name})");
            }
            if i.checksum_ok == Some(false) {
                s.push_str(" (bad cksum)");
            }
        }
        Some(L4::Other(p)) => {
            let _ = write!(s, "{src} > {dst}: ip-proto-{p}");
        }
        None => {
            let _ = write!(s, "{src} > {dst}:");
        }
    }
    if let Some((id, off, mf)) = frag {
        let _ = write!(s, " (frag {id}:{off}{})", if mf { "+" } else { "" });
    }
    match ip {
        Ip::V4(v) if !v.checksum_ok => s.push_str(" (bad ip cksum)"),
        Ip::V6(v) if !v.ext.is_empty() => {
            let _ = write!(s, " (ext {:?})", v.ext);
        }
        _ => {}
    }
}

/// tcpdump's flag letters, in its order.
fn tcp_flags(bits: u8) -> String {
    let mut out = String::new();
    for (bit, c) in [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ] {
        if bits & bit != 0 {
            out.push(c);
        }
    }
    if bits & 0x10 != 0 {
        out.push('.');
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

fn dhcp_type(t: u8) -> &'static str {
    match t {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NAK",
        7 => "Release",
        8 => "Inform",
        _ => "?",
    }
}

fn icmp_name(v6: bool, ty: u8) -> Option<&'static str> {
    Some(match (v6, ty) {
        (false, 0) | (true, 129) => "echo reply",
        (false, 8) | (true, 128) => "echo request",
        (false, 3) | (true, 1) => "destination unreachable",
        (false, 11) | (true, 3) => "time exceeded",
        (false, 12) | (true, 4) => "parameter problem",
        (false, 5) | (true, 137) => "redirect",
        (true, 2) => "packet too big",
        (true, 133) => "router solicitation",
        (true, 134) => "router advertisement",
        (true, 135) => "neighbor solicitation",
        (true, 136) => "neighbor advertisement",
        (true, 130) => "multicast listener query",
        (true, 143) => "multicast listener report v2",
        _ => return None,
    })
}
