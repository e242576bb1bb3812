//! The neural network: a small multilayer perceptron in candle (CPU), with
//! ReLU hidden layers, standardised inputs and target, AdamW, weighted
//! mean squared error, mini-batches, and early stopping on a validation
//! split of the training rows (the best epoch's weights are kept).
//!
//! Deterministic given the seed: the initial weights (PyTorch's default
//! uniform ±1/√fan_in), the validation split and the batch order all come
//! from one seeded generator, not candle's unseedable CPU generator. The
//! weights are saved as safetensors.

use std::collections::HashMap;

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{AdamW, Linear as Dense, Optimizer, ParamsAdamW};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::dataset::Matrix;
use super::prepare::Standardiser;
use super::TrainError;

/// The network's hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpParams {
    /// Units of each hidden layer.
    pub hidden: Vec<usize>,
    /// AdamW's step size.
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Most passes over the training rows.
    pub max_epochs: usize,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// Share of the training rows held out for early stopping.
    pub validation_fraction: f64,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden: vec![64, 32],
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            max_epochs: 200,
            patience: 15,
            batch_size: 64,
            validation_fraction: 0.15,
        }
    }
}

/// What the saved network needs besides its weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MlpShape {
    /// Input scaling.
    pub scale: Standardiser,
    /// Target mean and standard deviation (the network predicts the
    /// standardised score).
    pub target_mean: f64,
    /// See `target_mean`.
    pub target_std: f64,
    /// Layer widths, inputs first, 1 last.
    pub widths: Vec<usize>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
}

/// A fitted network.
pub struct Mlp {
    shape: MlpShape,
    layers: Vec<Dense>,
}

impl std::fmt::Debug for Mlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mlp").field("shape", &self.shape).finish()
    }
}

fn candle_err(e: candle_core::Error) -> TrainError {
    TrainError::learner("mlp", e)
}

fn tensor(values: &[f64], rows: usize, cols: usize) -> Result<Tensor, TrainError> {
    let v: Vec<f32> = values.iter().map(|v| *v as f32).collect();
    Tensor::from_vec(v, (rows, cols), &Device::Cpu).map_err(candle_err)
}

fn forward(layers: &[Dense], x: &Tensor) -> candle_core::Result<Tensor> {
    let mut h = x.clone();
    for (i, layer) in layers.iter().enumerate() {
        h = layer.forward(&h)?;
        if i + 1 < layers.len() {
            h = h.relu()?;
        }
    }
    Ok(h)
}

impl Mlp {
    /// Fits on `x`, `y` with optional row weights.
    pub fn fit(
        x: &Matrix,
        y: &[f64],
        weights: Option<&[f64]>,
        params: &MlpParams,
        seed: u64,
    ) -> Result<Mlp, TrainError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = x.rows();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let n_valid = ((n as f64 * params.validation_fraction).round() as usize).clamp(1, n - 1);
        let (valid_rows, train_rows) = order.split_at(n_valid);
        if train_rows.is_empty() {
            return Err(TrainError::TooFewRows {
                what: "the MLP".into(),
                rows: n,
                needed: 2,
            });
        }

        let train_x = x.select_rows(train_rows);
        let scale = Standardiser::fit(&train_x);
        let train_y: Vec<f64> = train_rows.iter().map(|&i| y[i]).collect();
        let target_mean = train_y.iter().sum::<f64>() / train_y.len() as f64;
        let target_std = (train_y
            .iter()
            .map(|v| (v - target_mean).powi(2))
            .sum::<f64>()
            / train_y.len() as f64)
            .sqrt()
            .max(1e-9);
        let scaled_y = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .map(|&i| (y[i] - target_mean) / target_std)
                .collect()
        };
        let row_weights = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .map(|&i| weights.map_or(1.0, |w| w[i]))
                .collect()
        };
        let cols = x.cols();
        let xt = tensor(scale.apply(&train_x).data(), train_rows.len(), cols)?;
        let yt = tensor(&scaled_y(train_rows), train_rows.len(), 1)?;
        let wt = tensor(&row_weights(train_rows), train_rows.len(), 1)?;
        let xv = tensor(
            scale.apply(&x.select_rows(valid_rows)).data(),
            valid_rows.len(),
            cols,
        )?;
        let yv = tensor(&scaled_y(valid_rows), valid_rows.len(), 1)?;
        let wv = tensor(&row_weights(valid_rows), valid_rows.len(), 1)?;

        let mut widths = vec![cols];
        widths.extend(&params.hidden);
        widths.push(1);
        let mut vars = Vec::new();
        let mut layers = Vec::new();
        for pair in widths.windows(2) {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let bound = 1.0 / (fan_in as f64).sqrt();
            let mut uniform = |count: usize| -> Vec<f64> {
                (0..count)
                    .map(|_| rng.random_range(-bound..bound))
                    .collect()
            };
            let w = Var::from_tensor(&tensor(&uniform(fan_in * fan_out), fan_out, fan_in)?)
                .map_err(candle_err)?;
            let b = Var::from_tensor(
                &tensor(&uniform(fan_out), 1, fan_out)?
                    .reshape(fan_out)
                    .map_err(candle_err)?,
            )
            .map_err(candle_err)?;
            layers.push(Dense::new(
                w.as_tensor().clone(),
                Some(b.as_tensor().clone()),
            ));
            vars.push(w);
            vars.push(b);
        }
        let mut optimiser = AdamW::new(
            vars.clone(),
            ParamsAdamW {
                lr: params.learning_rate,
                weight_decay: params.weight_decay,
                ..Default::default()
            },
        )
        .map_err(candle_err)?;

        let weighted_mse = |layers: &[Dense], x: &Tensor, y: &Tensor, w: &Tensor| {
            let err = forward(layers, x)?.sub(y)?.sqr()?;
            err.mul(w)?.sum_all()?.div(&w.sum_all()?)
        };
        let mut best = (f64::INFINITY, 0usize, snapshot(&vars)?);
        let mut batch_order: Vec<u32> = (0..train_rows.len() as u32).collect();
        for epoch in 0..params.max_epochs {
            batch_order.shuffle(&mut rng);
            for chunk in batch_order.chunks(params.batch_size.max(1)) {
                let idx = Tensor::new(chunk, &Device::Cpu).map_err(candle_err)?;
                let pick = |t: &Tensor| t.index_select(&idx, 0);
                let loss = pick(&xt)
                    .and_then(|bx| weighted_mse(&layers, &bx, &pick(&yt)?, &pick(&wt)?))
                    .map_err(candle_err)?;
                optimiser.backward_step(&loss).map_err(candle_err)?;
            }
            let valid_loss = weighted_mse(&layers, &xv, &yv, &wv)
                .and_then(|l| l.to_scalar::<f32>())
                .map_err(candle_err)? as f64;
            if valid_loss < best.0 {
                best = (valid_loss, epoch, snapshot(&vars)?);
            } else if epoch - best.1 >= params.patience {
                break;
            }
        }
        tracing::debug!(
            best_epoch = best.1,
            valid_loss = best.0,
            "mlp early stopping"
        );
        let shape = MlpShape {
            scale,
            target_mean,
            target_std,
            widths,
            best_epoch: best.1,
        };
        Mlp::from_tensors(shape, best.2)
    }

    fn from_tensors(shape: MlpShape, tensors: Vec<Tensor>) -> Result<Mlp, TrainError> {
        if tensors.len() != 2 * (shape.widths.len() - 1) {
            return Err(TrainError::BadModel(format!(
                "the MLP has {} widths but {} weight tensors",
                shape.widths.len(),
                tensors.len()
            )));
        }
        let layers = tensors
            .chunks(2)
            .map(|wb| Dense::new(wb[0].clone(), Some(wb[1].clone())))
            .collect();
        Ok(Mlp { shape, layers })
    }

    /// Predictions on the 0..100 scale.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f64>, TrainError> {
        let xt = tensor(self.shape.scale.apply(x).data(), x.rows(), x.cols())?;
        let out = forward(&self.layers, &xt)
            .and_then(|t| t.flatten_all()?.to_vec1::<f32>())
            .map_err(candle_err)?;
        Ok(out
            .iter()
            .map(|v| f64::from(*v) * self.shape.target_std + self.shape.target_mean)
            .collect())
    }

    /// The architecture and scaling, saved beside the weights.
    pub fn shape(&self) -> &MlpShape {
        &self.shape
    }

    /// The weights as a safetensors file (`layer<i>.weight`, `layer<i>.bias`).
    pub fn safetensors(&self) -> Result<Vec<u8>, TrainError> {
        let mut named = HashMap::new();
        for (i, layer) in self.layers.iter().enumerate() {
            named.insert(format!("layer{i}.weight"), layer.weight().clone());
            if let Some(b) = layer.bias() {
                named.insert(format!("layer{i}.bias"), b.clone());
            }
        }
        safetensors::serialize(&named, None).map_err(|e| TrainError::learner("mlp safetensors", e))
    }

    /// A network from its shape and safetensors weights.
    pub fn from_safetensors(shape: MlpShape, bytes: &[u8]) -> Result<Mlp, TrainError> {
        let mut named =
            candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(candle_err)?;
        let mut tensors = Vec::new();
        for i in 0..shape.widths.len() - 1 {
            for part in ["weight", "bias"] {
                let name = format!("layer{i}.{part}");
                let t = named
                    .remove(&name)
                    .ok_or_else(|| TrainError::BadModel(format!("no tensor {name} in the MLP")))?;
                tensors.push(t.to_dtype(DType::F32).map_err(candle_err)?);
            }
        }
        Mlp::from_tensors(shape, tensors)
    }
}

/// Copies of the current weights (a `Var` shares storage with its tensor).
fn snapshot(vars: &[Var]) -> Result<Vec<Tensor>, TrainError> {
    vars.iter()
        .map(|v| v.as_tensor().copy().map_err(candle_err))
        .collect()
}
