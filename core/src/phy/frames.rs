//! An in-memory device for the core's unit tests: frames handed to the
//! interface from a queue, frames it sends collected in order.

extern crate std;

use std::collections::VecDeque;
use std::vec;
use std::vec::Vec;

use super::{Device, DeviceCapabilities, RxToken, TxToken};
use crate::time::Instant;

/// Frames in, frames out, in memory.
pub(crate) struct FrameQueue {
    /// Frames the interface will receive, first first.
    pub rx: VecDeque<Vec<u8>>,
    /// Frames the interface sent, in order.
    pub tx: Vec<Vec<u8>>,
    /// What the device tells the interface it can do.
    pub caps: DeviceCapabilities,
}

impl FrameQueue {
    /// An empty device with these capabilities.
    pub(crate) fn new(caps: DeviceCapabilities) -> FrameQueue {
        FrameQueue {
            rx: VecDeque::new(),
            tx: Vec::new(),
            caps,
        }
    }
}

pub(crate) struct Rx(Vec<u8>);
pub(crate) struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(mut self, f: F) -> R {
        f(&mut self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0u8; len];
        let r = f(&mut buf);
        self.0.push(buf);
        r
    }
}

impl Device for FrameQueue {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;
    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx<'_>)> {
        let f = self.rx.pop_front()?;
        Some((Rx(f), Tx(&mut self.tx)))
    }
    fn transmit(&mut self, _now: Instant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }
}
