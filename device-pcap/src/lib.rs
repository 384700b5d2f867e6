//! pcap and pcapng capture files: reading, writing (filled in by the pcap work).
