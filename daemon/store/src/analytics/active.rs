//! Active customers: per hour, a bitmap of the customers with a message in
//! it, each customer numbered densely on first contact. The distinct
//! customers of a range are the union of its hours' bitmaps, read in rows
//! per hour (one per 2,048 customers), however many messages they had.

use std::collections::BTreeMap;

use redb::ReadableTable;

use crate::{meta_u64, StoreError, Tx};

/// Customers per bitmap row (256 bytes).
const CHUNK_BITS: u32 = 2_048;
const CHUNK_BYTES: usize = CHUNK_BITS as usize / 8;

/// Meta key of the next customer number.
pub(crate) const NEXT_CUSTOMER_KEY: &str = "analytics_customers";

/// Where a customer's bit is: (chunk, byte in the row, bit in the byte).
fn place(number: u32) -> (u32, usize, u8) {
    let bit = number % CHUNK_BITS;
    (number / CHUNK_BITS, (bit / 8) as usize, 1 << (bit % 8))
}

impl Tx<'_> {
    /// Sets the customer's bit in the hour's bitmap.
    pub(crate) fn mark_active(&mut self, hour: i64, customer: u128) -> Result<(), StoreError> {
        let number = self.customer_number(customer)?;
        let (chunk, byte, mask) = place(number);
        let mut row = match self.analytics_active.get((hour, chunk))? {
            Some(v) => v.value().to_vec(),
            None => vec![0; CHUNK_BYTES],
        };
        if row[byte] & mask != 0 {
            return Ok(());
        }
        row[byte] |= mask;
        self.insert(|t| &mut t.analytics_active, (hour, chunk), row.as_slice())
    }

    fn customer_number(&mut self, customer: u128) -> Result<u32, StoreError> {
        if let Some(number) = self.analytics_customer.get(customer)? {
            return Ok(number.value());
        }
        let next = meta_u64(&self.meta, NEXT_CUSTOMER_KEY)?.unwrap_or(0);
        let number = u32::try_from(next)
            .map_err(|_| StoreError::Internal("more than 2^32 customers".into()))?;
        self.insert(|t| &mut t.analytics_customer, customer, number)?;
        let following = (next + 1).to_be_bytes();
        self.insert(|t| &mut t.meta, NEXT_CUSTOMER_KEY, following.as_slice())?;
        Ok(number)
    }
}

/// A set of customers by number, built from hour bitmaps and single customers.
#[derive(Default)]
pub(crate) struct ActiveSet {
    chunks: BTreeMap<u32, Vec<u8>>,
}

impl ActiveSet {
    /// Adds every customer of a bitmap row.
    pub fn add_row(&mut self, chunk: u32, row: &[u8]) {
        let into = self
            .chunks
            .entry(chunk)
            .or_insert_with(|| vec![0; CHUNK_BYTES]);
        for (to, from) in into.iter_mut().zip(row) {
            *to |= from;
        }
    }

    pub fn add_number(&mut self, number: u32) {
        let (chunk, byte, mask) = place(number);
        self.add_row(chunk, &[]);
        if let Some(row) = self.chunks.get_mut(&chunk) {
            row[byte] |= mask;
        }
    }

    pub fn len(&self) -> u64 {
        self.chunks
            .values()
            .flatten()
            .map(|b| u64::from(b.count_ones()))
            .sum()
    }
}

/// A customer's number, if they were ever counted.
pub(crate) fn number_of(
    table: &impl ReadableTable<u128, u32>,
    customer: u128,
) -> Result<Option<u32>, StoreError> {
    Ok(table.get(customer)?.map(|v| v.value()))
}
