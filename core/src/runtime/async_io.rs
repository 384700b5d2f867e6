//! [`AsyncTcpStream`] under the async I/O traits of the ecosystems, each
//! behind the feature named after its crate: `futures-io` (async-std, smol,
//! the `futures` combinators), `tokio`, and `embedded-io-async` (the
//! embedded clients: reqwless, rust-mqtt, …). All of them call the
//! stream's own `poll_read` / `poll_write`, so they behave alike: data is
//! handed to the stack on write (flush has nothing to wait for), and
//! closing shuts the write side with a FIN.

#[cfg(any(feature = "futures-io", feature = "tokio"))]
use core::pin::Pin;
#[cfg(any(feature = "futures-io", feature = "tokio"))]
use core::task::{Context, Poll};
#[cfg(any(feature = "futures-io", feature = "tokio"))]
use std::io;

use super::async_tcp::AsyncTcpStream;

#[cfg(feature = "futures-io")]
mod futures_impl {
    use super::*;

    macro_rules! futures_io_for {
        ($ty:ty) => {
            impl futures_io::AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    AsyncTcpStream::poll_read(&self, cx, buf)
                }
            }

            impl futures_io::AsyncWrite for $ty {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    AsyncTcpStream::poll_write(&self, cx, buf)
                }

                fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(()))
                }

                fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    AsyncTcpStream::poll_shutdown(&self)
                }
            }
        };
    }

    futures_io_for!(AsyncTcpStream);
    futures_io_for!(&AsyncTcpStream);
}

#[cfg(feature = "tokio")]
mod tokio_impl {
    use super::*;
    use tokio::io::ReadBuf;

    macro_rules! tokio_io_for {
        ($ty:ty) => {
            impl tokio::io::AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut ReadBuf<'_>,
                ) -> Poll<io::Result<()>> {
                    // Read into the initialised part only (zeroing the
                    // rest once costs less than a second copy).
                    let dst = buf.initialize_unfilled();
                    match AsyncTcpStream::poll_read(&self, cx, dst) {
                        Poll::Ready(Ok(n)) => {
                            buf.advance(n);
                            Poll::Ready(Ok(()))
                        }
                        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                        Poll::Pending => Poll::Pending,
                    }
                }
            }

            impl tokio::io::AsyncWrite for $ty {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    AsyncTcpStream::poll_write(&self, cx, buf)
                }

                fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(()))
                }

                fn poll_shutdown(
                    self: Pin<&mut Self>,
                    _: &mut Context<'_>,
                ) -> Poll<io::Result<()>> {
                    AsyncTcpStream::poll_shutdown(&self)
                }
            }
        };
    }

    tokio_io_for!(AsyncTcpStream);
    tokio_io_for!(&AsyncTcpStream);
}

#[cfg(feature = "embedded-io-async")]
mod embedded_impl {
    use super::*;

    impl embedded_io_async::ErrorType for AsyncTcpStream {
        type Error = std::io::Error;
    }

    impl embedded_io_async::Read for AsyncTcpStream {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            AsyncTcpStream::read(self, buf).await
        }
    }

    impl embedded_io_async::Write for AsyncTcpStream {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            AsyncTcpStream::write(self, buf).await
        }

        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }
}
