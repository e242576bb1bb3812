//! Acceptance test: `creativeiq analyze --json` on the real sample images
//! (fetched from the registries by `make test-data`) agrees with
//! `tests/data/reference_features.json` (Pillow / NumPy / scikit-image /
//! OpenCV) within the tolerances of FEATURES.md.

use crate::common::*;

/// FEATURES.md tolerances; 0 means exact.
const TOLERANCES: &[(&str, f64)] = &[
    ("width", 0.0),
    ("height", 0.0),
    ("aspect_ratio", 1e-9),
    ("brightness", 0.005),
    ("contrast_rms", 0.005),
    ("grey_entropy", 0.02),
    ("saturation_mean", 0.005),
    ("saturation_std", 0.005),
    ("colorfulness", 0.5),
    ("lab_l_mean", 0.3),
    ("lab_a_mean", 0.3),
    ("lab_b_mean", 0.3),
    ("lab_l_std", 0.3),
    ("edge_density", 0.02),
];

#[test]
fn analyze_matches_the_reference_on_every_real_image() {
    let dir = real_images();
    let reference: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("reference_features.json")).unwrap())
            .unwrap();
    let entries = reference.as_object().unwrap();
    assert_eq!(entries.len(), 13, "the 13 sample images");
    let mut failures = Vec::new();
    for (name, expected) in entries {
        let path = dir.join(name);
        let out = bin()
            .args(["analyze", path.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let got: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        for &(feature, tolerance) in TOLERANCES {
            let want = expected[feature].as_f64().unwrap();
            let have = got[feature]
                .as_f64()
                .unwrap_or_else(|| panic!("{name}: no {feature} in {got}"));
            if (have - want).abs() > tolerance {
                failures.push(format!(
                    "{name} {feature}: {have} vs reference {want} (tolerance {tolerance})"
                ));
            }
        }
        assert!(
            got["palette"].as_array().is_some_and(|p| !p.is_empty()),
            "{name}: palette"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
