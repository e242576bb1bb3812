//! Columns of numbers in one safetensors file: how tree ensembles are
//! saved. The general model of the 60,000-post world holds 1,000 trees of
//! 200,000 nodes: loaded from zstd JSON, it and its tier forest took 250 ms
//! before one prediction, from columns 60 ms, which are read about as fast
//! as they are copied. safetensors is an open format (the MLP's weights
//! use it too), so the trees stay readable outside this crate:
//! `safetensors.numpy.load_file`.

use std::collections::BTreeMap;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use super::TrainError;

/// A number type a column can hold.
pub(super) trait Element: Copy {
    /// Its safetensors type.
    const DTYPE: Dtype;
    /// Appends its little-endian bytes.
    fn put(self, out: &mut Vec<u8>);
    /// Reads it from exactly its size of little-endian bytes.
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($($t:ty => $dtype:ident),*) => {$(
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$dtype;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("chunks of the element's size"))
            }
        }
    )*};
}

element!(f64 => F64, f32 => F32, u32 => U32, i32 => I32, u8 => U8);

/// Columns being written.
#[derive(Default)]
pub(super) struct ColumnWriter {
    columns: BTreeMap<String, (Dtype, usize, Vec<u8>)>,
}

impl ColumnWriter {
    /// Adds the column `name`.
    pub fn put<T: Element>(&mut self, name: &str, values: impl IntoIterator<Item = T>) {
        let mut bytes = Vec::new();
        let mut len = 0;
        for v in values {
            v.put(&mut bytes);
            len += 1;
        }
        self.columns
            .insert(name.to_string(), (T::DTYPE, len, bytes));
    }

    /// The safetensors file of every column.
    pub fn finish(&self, what: &str) -> Result<Vec<u8>, TrainError> {
        let views = self
            .columns
            .iter()
            .map(|(name, (dtype, len, bytes))| {
                TensorView::new(*dtype, vec![*len], bytes).map(|view| (name.as_str(), view))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TrainError::BadModel(format!("writing the {what} columns: {e}")))?;
        safetensors::serialize(views, None)
            .map_err(|e| TrainError::BadModel(format!("writing the {what} columns: {e}")))
    }
}

/// Columns being read.
pub(super) struct ColumnReader<'a> {
    file: SafeTensors<'a>,
    what: &'static str,
}

impl<'a> ColumnReader<'a> {
    /// The columns of a safetensors file holding `what` (for messages).
    pub fn new(bytes: &'a [u8], what: &'static str) -> Result<ColumnReader<'a>, TrainError> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| {
            TrainError::BadModel(format!("reading the {what} columns (safetensors): {e}"))
        })?;
        Ok(ColumnReader { file, what })
    }

    /// The column `name`, checked to be one-dimensional of type `T`.
    pub fn get<T: Element>(&self, name: &str) -> Result<Vec<T>, TrainError> {
        let bad =
            |why: String| TrainError::BadModel(format!("the {} column {name:?} {why}", self.what));
        let view = self.file.tensor(name).map_err(|e| bad(e.to_string()))?;
        if view.dtype() != T::DTYPE || view.shape().len() != 1 {
            return Err(bad(format!(
                "is {:?} of shape {:?}, not a column of {:?}",
                view.dtype(),
                view.shape(),
                T::DTYPE
            )));
        }
        Ok(view
            .data()
            .chunks_exact(std::mem::size_of::<T>())
            .map(T::get)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_back_bit_for_bit_and_types_are_checked() {
        let mut writer = ColumnWriter::default();
        let odd = [0.1, -0.0, f64::NAN, f64::MAX, 5e-324];
        writer.put("values", odd);
        writer.put("index", [0u32, 7, u32::MAX]);
        writer.put("flag", [1u8, 0]);
        writer.put::<f32>("empty", []);
        let bytes = writer.finish("test").unwrap();
        let reader = ColumnReader::new(&bytes, "test").unwrap();
        let values: Vec<f64> = reader.get("values").unwrap();
        assert_eq!(
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            odd.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(reader.get::<u32>("index").unwrap(), [0, 7, u32::MAX]);
        assert_eq!(reader.get::<u8>("flag").unwrap(), [1, 0]);
        assert!(reader.get::<f32>("empty").unwrap().is_empty());
        let wrong = reader.get::<i32>("index").unwrap_err().to_string();
        assert!(
            wrong.contains("\"index\"") && wrong.contains("U32"),
            "{wrong}"
        );
        assert!(reader.get::<f64>("missing").is_err());
        assert!(ColumnReader::new(b"not safetensors", "test").is_err());
    }
}
