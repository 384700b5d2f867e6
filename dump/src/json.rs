//! The `--json` rendering: one object per frame, keys as documented in
//! README.md and checked against Wireshark by the tshark agreement test.

use super::model::{Frame, Ip, L4};
use serde_json::{json, Map, Value};

/// Renders a frame as a JSON object; absent layers have no key.
pub fn to_json(f: &Frame) -> Value {
    let mut o = Map::new();
    o.insert("frame".into(), json!(f.number));
    o.insert("len".into(), json!(f.len));
    if let Some(e) = &f.eth {
        o.insert("eth".into(), {
            let mut m = Map::new();
            m.insert("src".into(), json!(e.src.to_string()));
            m.insert("dst".into(), json!(e.dst.to_string()));
            if let Some(t) = e.ethertype {
                m.insert("type".into(), json!(t));
            }
            Value::Object(m)
        });
    }
    if !f.vlan.is_empty() {
        let tags: Vec<Value> = f
            .vlan
            .iter()
            .map(|v| json!({"id": v.id, "pcp": v.pcp}))
            .collect();
        o.insert("vlan".into(), Value::Array(tags));
    }
    if let Some(a) = &f.arp {
        let mut m = Map::new();
        m.insert("op".into(), json!(a.op));
        if let Some(x) = &a.addrs {
            m.insert("sha".into(), json!(x.sha.to_string()));
            m.insert("spa".into(), json!(x.spa.to_string()));
            m.insert("tha".into(), json!(x.tha.to_string()));
            m.insert("tpa".into(), json!(x.tpa.to_string()));
        }
        o.insert("arp".into(), Value::Object(m));
    }
    match &f.ip {
        Some(Ip::V4(v)) => {
            o.insert(
                "ipv4".into(),
                json!({"src": v.src.to_string(), "dst": v.dst.to_string(), "proto": v.proto,
                       "ttl": v.ttl, "id": v.id, "df": v.df, "mf": v.mf,
                       "frag_offset": v.frag_offset, "total_len": v.total_len,
                       "checksum_ok": v.checksum_ok}),
            );
        }
        Some(Ip::V6(v)) => {
            // core::net's Display already prints RFC 5952 text.
            o.insert(
                "ipv6".into(),
                json!({"src": v.src.to_string(), "dst": v.dst.to_string(),
                       "next_header": v.next_header, "hop_limit": v.hop_limit,
                       "payload_len": v.payload_len, "ext": v.ext}),
            );
        }
        None => {}
    }
    match &f.l4 {
        Some(L4::Icmp(i)) => {
            o.insert(
                "icmp".into(),
                with_checksum(json!({"type": i.ty, "code": i.code}), i.checksum_ok),
            );
        }
        Some(L4::Icmpv6(i)) => {
            o.insert(
                "icmpv6".into(),
                with_checksum(json!({"type": i.ty, "code": i.code}), i.checksum_ok),
            );
        }
        Some(L4::Udp(u)) => {
            o.insert(
                "udp".into(),
                with_checksum(
                    json!({"src_port": u.src_port, "dst_port": u.dst_port, "len": u.len}),
                    u.checksum_ok,
                ),
            );
        }
        Some(L4::Tcp(t)) => {
            let mut opts = Map::new();
            if let Some(m) = t.options.mss {
                opts.insert("mss".into(), json!(m));
            }
            if let Some(w) = t.options.wscale {
                opts.insert("wscale".into(), json!(w));
            }
            if t.options.sack_perm {
                opts.insert("sack_perm".into(), json!(true));
            }
            if let Some((v, e)) = t.options.ts {
                opts.insert("ts".into(), json!([v, e]));
            }
            if !t.options.sack.is_empty() {
                let blocks: Vec<Value> =
                    t.options.sack.iter().map(|(l, r)| json!([l, r])).collect();
                opts.insert("sack".into(), Value::Array(blocks));
            }
            let mut tcp = with_checksum(
                json!({"src_port": t.src_port, "dst_port": t.dst_port, "seq": t.seq,
                       "ack": t.ack, "flags": t.flags, "window": t.window}),
                t.checksum_ok,
            );
            tcp["options"] = Value::Object(opts);
            o.insert("tcp".into(), tcp);
        }
        Some(L4::Other(_)) | None => {}
    }
    if let Some(d) = &f.dhcp {
        let mut m = Map::new();
        m.insert("op".into(), json!(d.op));
        m.insert("xid".into(), json!(d.xid));
        if let Some(t) = d.msg_type {
            m.insert("msg_type".into(), json!(t));
        }
        o.insert("dhcp".into(), Value::Object(m));
    }
    if let Some(e) = &f.error {
        o.insert(
            "error".into(),
            json!({"layer": e.layer, "reason": e.reason}),
        );
    }
    Value::Object(o)
}

/// Adds `checksum_ok` only when it could be told (see the model).
fn with_checksum(mut v: Value, ok: Option<bool>) -> Value {
    if let (Some(ok), Value::Object(m)) = (ok, &mut v) {
        m.insert("checksum_ok".into(), json!(ok));
    }
    v
}
