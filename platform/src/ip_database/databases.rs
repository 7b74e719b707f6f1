//! The two databases the edge reads, in the CSV layout of the ip-location-db packages
//! `infra/stack install` installs: `first,last,asn,organization` (`@ip-location-db/asn`) and
//! `first,last,country` (`@ip-location-db/geo-whois-asn-country`), inclusive ranges written as
//! addresses, IPv4 and IPv6 rows in one file or in several.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::table::RangeTable;

/// A database file that could not be read, with the place of the problem (never an address
/// looked up: those are visitors').
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: no ranges")]
    Empty { path: PathBuf },
}

/// The autonomous system an address is announced from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AutonomousSystem {
    pub number: u32,
    /// As the registry names it (`Amazon.com, Inc.`); empty when the database has none.
    pub organization: Arc<str>,
}

/// A table per address family.
#[derive(Debug, Clone)]
struct Families<V> {
    v4: RangeTable<u32, V>,
    v6: RangeTable<u128, V>,
}

impl<V> Default for Families<V> {
    fn default() -> Self {
        Self {
            v4: RangeTable::default(),
            v6: RangeTable::default(),
        }
    }
}

impl<V: Copy + Eq> Families<V> {
    fn get(&self, ip: IpAddr) -> Option<V> {
        match ip.to_canonical() {
            IpAddr::V4(v4) => self.v4.get(u32::from(v4)),
            IpAddr::V6(v6) => self.v6.get(u128::from(v6)),
        }
    }

    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    fn heap_bytes(&self) -> usize {
        self.v4.heap_bytes() + self.v6.heap_bytes()
    }
}

/// Rows as read, per family, before flattening.
struct Rows<V> {
    v4: Vec<(u32, u32, V)>,
    v6: Vec<(u128, u128, V)>,
}

impl<V: Copy + Eq> Rows<V> {
    fn new() -> Self {
        Self {
            v4: Vec::new(),
            v6: Vec::new(),
        }
    }

    fn push(&mut self, first: IpAddr, last: IpAddr, value: V) -> Result<(), String> {
        match (first.to_canonical(), last.to_canonical()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => self.v4.push((a.into(), b.into(), value)),
            (IpAddr::V6(a), IpAddr::V6(b)) => self.v6.push((a.into(), b.into(), value)),
            _ => return Err("the range's first and last addresses are of two families".into()),
        }
        Ok(())
    }

    fn build(self) -> Families<V> {
        Families {
            v4: RangeTable::from_rows(self.v4),
            v6: RangeTable::from_rows(self.v6),
        }
    }
}

/// Reads each CSV row of `reader` (no header) into `row`; errors name `path` and the line.
fn read_rows(
    path: &Path,
    reader: impl Read,
    mut row: impl FnMut(&csv::StringRecord) -> Result<(), String>,
) -> Result<usize, DatabaseError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    loop {
        let line = csv.position().line();
        match csv.read_record(&mut record) {
            Ok(false) => return Ok(count),
            Ok(true) => {}
            Err(error) => {
                return Err(DatabaseError::Row {
                    path: path.to_owned(),
                    line,
                    message: error.to_string(),
                })
            }
        }
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        row(&record).map_err(|message| DatabaseError::Row {
            path: path.to_owned(),
            line,
            message,
        })?;
        count += 1;
    }
}

fn bounds(record: &csv::StringRecord) -> Result<(IpAddr, IpAddr), String> {
    let address = |i: usize, what: &str| {
        let text = record.get(i).unwrap_or("").trim();
        text.parse::<IpAddr>()
            .map_err(|_| format!("the {what} address {text:?} is not an IP address"))
    };
    Ok((address(0, "first")?, address(1, "last")?))
}

fn open(path: &Path) -> Result<std::fs::File, DatabaseError> {
    std::fs::File::open(path).map_err(|source| DatabaseError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Address → autonomous system number and organisation.
#[derive(Debug, Clone, Default)]
pub struct AsnDatabase {
    ranges: Families<u32>,
    systems: Vec<AutonomousSystem>,
}

impl AsnDatabase {
    /// Every file's rows in one database; a later file wins where files overlap.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self, DatabaseError> {
        let mut builder = AsnBuilder::default();
        for path in paths {
            builder.read(path, open(path)?)?;
        }
        Ok(builder.build())
    }

    /// One CSV text, for tests and tools; `name` stands for its path in errors.
    pub fn from_reader(name: &str, reader: impl Read) -> Result<Self, DatabaseError> {
        let mut builder = AsnBuilder::default();
        builder.read(Path::new(name), reader)?;
        Ok(builder.build())
    }

    pub fn lookup(&self, ip: IpAddr) -> Option<&AutonomousSystem> {
        self.ranges
            .get(ip)
            .map(|index| &self.systems[index as usize])
    }

    /// Segments after flattening.
    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }

    pub fn systems(&self) -> usize {
        self.systems.len()
    }

    /// An estimate of what the database holds in memory.
    pub fn heap_bytes(&self) -> usize {
        self.ranges.heap_bytes()
            + self
                .systems
                .iter()
                .map(|s| std::mem::size_of::<AutonomousSystem>() + s.organization.len())
                .sum::<usize>()
    }
}

#[derive(Default)]
struct AsnBuilder {
    rows: Option<Rows<u32>>,
    systems: Vec<AutonomousSystem>,
    /// Each (number, organisation) once: a few hundred thousand ranges share ~80 000 of them.
    index: HashMap<(u32, Arc<str>), u32>,
}

impl AsnBuilder {
    fn read(&mut self, path: &Path, reader: impl Read) -> Result<(), DatabaseError> {
        let rows = self.rows.get_or_insert_with(Rows::new);
        let (systems, index) = (&mut self.systems, &mut self.index);
        let read = read_rows(path, reader, |record| {
            let (first, last) = bounds(record)?;
            let number = record.get(2).unwrap_or("").trim();
            let number: u32 = number
                .strip_prefix("AS")
                .unwrap_or(number)
                .parse()
                .map_err(|_| format!("the AS number {number:?} is not a number"))?;
            let organization: Arc<str> = Arc::from(record.get(3).unwrap_or("").trim());
            let next = u32::try_from(systems.len()).map_err(|_| "too many systems".to_owned())?;
            let id = *index
                .entry((number, organization.clone()))
                .or_insert_with(|| {
                    systems.push(AutonomousSystem {
                        number,
                        organization,
                    });
                    next
                });
            rows.push(first, last, id)
        })?;
        if read == 0 {
            return Err(DatabaseError::Empty {
                path: path.to_owned(),
            });
        }
        Ok(())
    }

    fn build(self) -> AsnDatabase {
        AsnDatabase {
            ranges: self.rows.unwrap_or_else(Rows::new).build(),
            systems: self.systems,
        }
    }
}

/// Address → ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, Default)]
pub struct CountryDatabase {
    ranges: Families<[u8; 2]>,
}

impl CountryDatabase {
    /// Every file's rows in one database; a later file wins where files overlap.
    pub fn from_files(paths: &[PathBuf]) -> Result<Self, DatabaseError> {
        let mut rows = Rows::new();
        for path in paths {
            read_countries(&mut rows, path, open(path)?)?;
        }
        Ok(Self {
            ranges: rows.build(),
        })
    }

    /// One CSV text, for tests and tools; `name` stands for its path in errors.
    pub fn from_reader(name: &str, reader: impl Read) -> Result<Self, DatabaseError> {
        let mut rows = Rows::new();
        read_countries(&mut rows, Path::new(name), reader)?;
        Ok(Self {
            ranges: rows.build(),
        })
    }

    /// The upper-case two-letter code.
    pub fn lookup(&self, ip: IpAddr) -> Option<&'static str> {
        self.ranges.get(ip).map(country_code)
    }

    pub fn ranges(&self) -> usize {
        self.ranges.len()
    }

    pub fn heap_bytes(&self) -> usize {
        self.ranges.heap_bytes()
    }
}

fn read_countries(
    rows: &mut Rows<[u8; 2]>,
    path: &Path,
    reader: impl Read,
) -> Result<(), DatabaseError> {
    let read = read_rows(path, reader, |record| {
        let (first, last) = bounds(record)?;
        let code = record.get(2).unwrap_or("").trim();
        let [a, b] = <[u8; 2]>::try_from(code.as_bytes())
            .ok()
            .filter(|c| c.iter().all(u8::is_ascii_alphabetic))
            .ok_or_else(|| format!("the country {code:?} is not a two-letter code"))?;
        rows.push(
            first,
            last,
            [a.to_ascii_uppercase(), b.to_ascii_uppercase()],
        )
    })?;
    if read == 0 {
        return Err(DatabaseError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Two ASCII letters as a `&'static str` without allocating per lookup: all 676 codes are built
/// once.
fn country_code(code: [u8; 2]) -> &'static str {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let codes = CODES.get_or_init(|| {
        (b'A'..=b'Z')
            .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).unwrap()))
            .collect()
    });
    let index = usize::from(code[0] - b'A') * 26 + usize::from(code[1] - b'A');
    &codes[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASN: &str = "\
198.51.100.0,198.51.100.255,64500,\"Example Hosting, Inc.\"
203.0.113.0,203.0.113.127,64501,Example Broadband
203.0.113.128,203.0.113.255,64501,Example Broadband
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64502,\"LLC \"\"Example\"\"\"
";

    const COUNTRY: &str = "\
198.51.100.0,198.51.100.255,de
198.51.100.16,198.51.100.31,FR
2001:db8::,2001:db8::ffff,NL
";

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn asn_rows_are_found_for_both_families_with_quoted_organisations() {
        let db = AsnDatabase::from_reader("asn.csv", ASN.as_bytes()).unwrap();
        let found = |text: &str| db.lookup(ip(text)).map(|s| (s.number, &*s.organization));
        assert_eq!(
            found("198.51.100.0"),
            Some((64500, "Example Hosting, Inc."))
        );
        assert_eq!(
            found("198.51.100.255"),
            Some((64500, "Example Hosting, Inc."))
        );
        assert_eq!(found("198.51.101.0"), None);
        assert_eq!(found("198.51.99.255"), None);
        assert_eq!(found("::ffff:198.51.100.7"), found("198.51.100.7"));
        assert_eq!(found("2001:db8:1::1"), Some((64502, "LLC \"Example\"")));
        assert_eq!(found("2001:db9::"), None);
        // Two rows of one system share it, and adjacent ones become one segment.
        assert_eq!((db.systems(), db.ranges()), (3, 3));
    }

    #[test]
    fn a_country_database_prefers_the_nested_range_and_upper_cases_codes() {
        let db = CountryDatabase::from_reader("country.csv", COUNTRY.as_bytes()).unwrap();
        assert_eq!(db.lookup(ip("198.51.100.15")), Some("DE"));
        assert_eq!(db.lookup(ip("198.51.100.16")), Some("FR"));
        assert_eq!(db.lookup(ip("198.51.100.31")), Some("FR"));
        assert_eq!(db.lookup(ip("198.51.100.32")), Some("DE"));
        assert_eq!(db.lookup(ip("2001:db8::ffff")), Some("NL"));
        assert_eq!(db.lookup(ip("2001:db8::1:0")), None);
        assert_eq!(db.lookup(ip("192.0.2.1")), None);
    }

    #[test]
    fn broken_files_are_refused_with_their_line() {
        let error = |text: &str| {
            CountryDatabase::from_reader("c.csv", text.as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error("1.0.0.0,1.0.0.255,AU\n1.0.1.0,nope,CN\n"),
            "c.csv: line 2: the last address \"nope\" is not an IP address"
        );
        assert_eq!(
            error("1.0.0.0,1.0.0.255,Australia\n"),
            "c.csv: line 1: the country \"Australia\" is not a two-letter code"
        );
        assert_eq!(
            error("1.0.0.0,2001:db8::,AU\n"),
            "c.csv: line 1: the range's first and last addresses are of two families"
        );
        assert_eq!(error(""), "c.csv: no ranges");
        let asn = AsnDatabase::from_reader("a.csv", "1.0.0.0,1.0.0.255,x,Org\n".as_bytes());
        assert_eq!(
            asn.unwrap_err().to_string(),
            "a.csv: line 1: the AS number \"x\" is not a number"
        );
        let missing = CountryDatabase::from_files(&[PathBuf::from("/nonexistent/c.csv")]);
        assert!(missing
            .unwrap_err()
            .to_string()
            .starts_with("/nonexistent/c.csv: "));
    }
}
