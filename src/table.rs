//! An in-memory CSV table.

/// A header and rows of text, as a leaker would handle them in a spreadsheet.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Table {
    /// Column names.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Parses CSV bytes (comma-separated, header first).
    pub fn from_csv(bytes: &[u8]) -> Table {
        let mut rdr = csv::Reader::from_reader(bytes);
        let header = rdr
            .headers()
            .expect("valid CSV header")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = rdr
            .records()
            .map(|r| {
                r.expect("valid CSV row")
                    .iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Table { header, rows }
    }

    /// Writes plain CSV (quotes only where needed, LF).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header).expect("in-memory write");
        for r in &self.rows {
            w.write_record(r).expect("in-memory write");
        }
        w.into_inner().expect("in-memory write")
    }

    /// The index of a column, by exact name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A table with the same header and the given rows.
    pub fn with_rows(&self, rows: Vec<Vec<String>>) -> Table {
        Table {
            header: self.header.clone(),
            rows,
        }
    }
}
