//! Streaming text transcoding, to issue an extract kept in another text
//! encoding than UTF-8: its bytes are read as UTF-8 ([`DecodingReader`])
//! and the copies written back in the extract's encoding
//! ([`EncodingWriter`]). Windows-1252 maps each of its 256 bytes to one
//! character and back, so every byte the scheme did not change is written
//! as it was read.

use std::io::{self, Read, Write};

use crate::TextEncoding;

/// A reader of text in `encoding`, giving it as UTF-8 (a byte-order mark
/// dropped). A byte sequence that is not valid in the encoding is an
/// error of kind `InvalidData` naming its offset.
pub struct DecodingReader<R> {
    inner: R,
    encoding: TextEncoding,
    decoder: encoding_rs::Decoder,
    inbuf: Vec<u8>,
    start: usize,
    end: usize,
    out: Vec<u8>,
    out_start: usize,
    out_end: usize,
    offset: u64,
    eof: bool,
    done: bool,
}

impl<R> std::fmt::Debug for DecodingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodingReader")
            .field("encoding", &self.encoding)
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<R: Read> DecodingReader<R> {
    /// `inner`, read as text in `encoding`.
    pub fn new(inner: R, encoding: TextEncoding) -> Self {
        DecodingReader {
            inner,
            encoding,
            decoder: encoding.encoding().new_decoder_with_bom_removal(),
            inbuf: vec![0; 1 << 16],
            start: 0,
            end: 0,
            out: vec![0; (1 << 18) + 16],
            out_start: 0,
            out_end: 0,
            offset: 0,
            eof: false,
            done: false,
        }
    }

    /// The reader the text is read from.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The reader the text is read from.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_start == self.out_end {
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.inbuf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.inbuf[self.start..self.end],
                &mut self.out,
                self.eof,
            );
            self.start += read;
            self.offset += read as u64;
            self.out_start = 0;
            self.out_end = written;
            match result {
                encoding_rs::DecoderResult::InputEmpty => {
                    if self.eof {
                        self.done = true;
                    }
                }
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(_, _) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "byte {} is not valid {}: the file is in another text encoding",
                            self.offset, self.encoding
                        ),
                    ))
                }
            }
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

/// A writer taking UTF-8 and writing it in `encoding`. A character the
/// encoding cannot write is an error of kind `InvalidData` naming it.
/// UTF-16 is written with a byte-order mark first, as it is read.
pub struct EncodingWriter<W: Write> {
    inner: W,
    encoding: TextEncoding,
    encoder: Option<encoding_rs::Encoder>,
    pending: Vec<u8>,
    out: Vec<u8>,
    started: bool,
}

impl<W: Write> std::fmt::Debug for EncodingWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodingWriter")
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl<W: Write> EncodingWriter<W> {
    /// Writes to `inner` in `encoding`.
    pub fn new(inner: W, encoding: TextEncoding) -> Self {
        let encoder = match encoding {
            TextEncoding::Windows1252 => Some(encoding_rs::WINDOWS_1252.new_encoder()),
            _ => None,
        };
        EncodingWriter {
            inner,
            encoding,
            encoder,
            pending: Vec::new(),
            out: vec![0; 1 << 16],
            started: false,
        }
    }

    /// Flushes, checks that no character was left unfinished, and gives
    /// back the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        if !self.pending.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the text ends inside a UTF-8 character",
            ));
        }
        Ok(self.inner)
    }

    /// The writer written to.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    fn encode(&mut self, text: &str) -> io::Result<()> {
        match self.encoding {
            TextEncoding::Utf8 => self.inner.write_all(text.as_bytes()),
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let mut bytes = Vec::with_capacity(text.len() * 2 + 2);
                let le = self.encoding == TextEncoding::Utf16Le;
                if !self.started {
                    bytes.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
                }
                for u in text.encode_utf16() {
                    bytes.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
                }
                self.started = true;
                self.inner.write_all(&bytes)
            }
            TextEncoding::Windows1252 => {
                let encoder = self.encoder.as_mut().expect("an encoder for Windows-1252");
                let mut src = text;
                loop {
                    let (result, read, written) =
                        encoder.encode_from_utf8_without_replacement(src, &mut self.out, false);
                    self.inner.write_all(&self.out[..written])?;
                    src = &src[read..];
                    match result {
                        encoding_rs::EncoderResult::InputEmpty => return Ok(()),
                        encoding_rs::EncoderResult::OutputFull => {}
                        encoding_rs::EncoderResult::Unmappable(c) => {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "the character {c:?} (U+{:04X}) cannot be written in {}, \
                                     the extract's encoding",
                                    c as u32, self.encoding
                                ),
                            ))
                        }
                    }
                }
            }
        }
    }
}

impl<W: Write> Write for EncodingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the text to write is not UTF-8",
                ))
            }
        };
        let text = std::mem::take(&mut self.pending);
        let (done, rest) = text.split_at(valid);
        self.encode(std::str::from_utf8(done).expect("checked"))?;
        self.pending = rest.to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        let mut text = String::new();
        DecodingReader::new(&bytes[..], TextEncoding::Windows1252)
            .read_to_string(&mut text)
            .unwrap();
        let mut w = EncodingWriter::new(Vec::new(), TextEncoding::Windows1252);
        // Written in small pieces, cutting characters.
        for chunk in text.as_bytes().chunks(3) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.finish().unwrap(), bytes);
    }

    #[test]
    fn a_character_windows_1252_lacks_is_refused() {
        let mut w = EncodingWriter::new(Vec::new(), TextEncoding::Windows1252);
        let e = w.write_all("CALLE ŁÓDŹ".as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("cannot be written in windows-1252"),
            "{e}"
        );
    }

    #[test]
    fn utf16_round_trips_with_its_byte_order_mark() {
        for enc in [TextEncoding::Utf16Le, TextEncoding::Utf16Be] {
            let mut w = EncodingWriter::new(Vec::new(), enc);
            w.write_all("CURP;CALLE\r\nÑOÑO;AV. 5\r\n".as_bytes())
                .unwrap();
            let bytes = w.finish().unwrap();
            let mut back = String::new();
            DecodingReader::new(&bytes[..], enc)
                .read_to_string(&mut back)
                .unwrap();
            assert_eq!(back, "CURP;CALLE\r\nÑOÑO;AV. 5\r\n");
        }
    }
}
