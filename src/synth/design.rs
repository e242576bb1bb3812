//! What a design is made of: the recipe the renderer draws and the ground
//! truth written beside the image (text boxes, focal point, properties).
//! Coordinates are pixels of the full-size image.

use serde::Serialize;

use super::palette::{Palette, Rgb};
use super::text::FontKind;

/// A rendered design's recipe and its measured, visible properties.
#[derive(Debug, Clone, Serialize)]
pub struct Design {
    /// Its id, also the image's file stem.
    pub id: String,
    /// The seed it was drawn from.
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The file format it is written in.
    pub format: ImageFormat,
    /// The layout template.
    pub layout: Layout,
    /// Its colours.
    pub palette: Palette,
    /// What fills the canvas first.
    pub background: Background,
    /// Decorative shapes, drawn in order over the background.
    pub shapes: Vec<Shape>,
    /// The object the eye goes to first, if the design has one.
    pub focal: Option<Focal>,
    /// Cards and buttons behind text.
    pub panels: Vec<Panel>,
    /// Text lines, each with its ink box.
    pub text: Vec<TextLine>,
    /// The visible properties the ground-truth function reads.
    pub properties: Properties,
}

impl Design {
    /// Width over height.
    pub fn aspect_ratio(&self) -> f64 {
        f64::from(self.width) / f64::from(self.height)
    }

    /// The image's file name.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.id, self.format.extension())
    }
}

/// How a design is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    /// Lossless; flat graphics.
    Png,
    /// Lossy; photo-like designs.
    Jpeg,
}

impl ImageFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }
}

/// The layout templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Headline on top, focal object in the middle, body and call to action below.
    Stack,
    /// A text column beside the focal object.
    SideBySide,
    /// A big headline and a big focal object.
    Poster,
    /// A photo-like background with the text on a card.
    Card,
    /// A focal object and little or no text.
    Minimal,
    /// Mostly text (an announcement, an infographic) and a small focal object.
    TextHeavy,
}

/// What fills the canvas.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Background {
    /// One colour.
    Flat {
        /// The colour.
        colour: Rgb,
    },
    /// A linear gradient.
    Linear {
        /// Colour at the start.
        from: Rgb,
        /// Colour at the end.
        to: Rgb,
        /// Direction in degrees (0 = left to right, 90 = top to bottom).
        angle: f32,
    },
    /// A radial gradient.
    Radial {
        /// Colour at the centre.
        inner: Rgb,
        /// Colour at the far corner.
        outer: Rgb,
        /// Centre, as shares of width and height.
        centre: [f32; 2],
    },
    /// Two colour fields side by side.
    Split {
        /// Left (or top) colour.
        first: Rgb,
        /// Right (or bottom) colour.
        second: Rgb,
        /// Where the fields meet, as a share of width (or height).
        at: f32,
        /// Fields side by side (true) or stacked.
        vertical: bool,
    },
    /// A photo-like texture: smooth fractal noise through three colours, plus grain.
    Texture {
        /// The colour ramp.
        colours: [Rgb; 3],
        /// Size of the coarsest noise cell, in pixels.
        cell: f32,
        /// Grain amplitude in grey levels.
        grain: f32,
        /// The noise seed.
        seed: u64,
    },
}

/// A decorative shape.
#[derive(Debug, Clone, Serialize)]
pub struct Shape {
    /// Its form.
    pub kind: ShapeKind,
    /// Centre.
    pub centre: [f32; 2],
    /// Half width and half height.
    pub half: [f32; 2],
    /// Fill colour.
    pub colour: Rgb,
    /// Opacity 0..1.
    pub alpha: f32,
}

/// Shape forms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeKind {
    /// An ellipse.
    Ellipse,
    /// A circle outline of the given stroke width.
    Ring {
        /// Stroke width in pixels.
        stroke: f32,
    },
    /// A rectangle with rounded corners.
    RoundRect {
        /// Corner radius in pixels.
        radius: f32,
    },
}

/// The focal object.
#[derive(Debug, Clone, Serialize)]
pub struct Focal {
    /// Its form.
    pub kind: FocalKind,
    /// Its centre: the design's focal point.
    pub centre: [f32; 2],
    /// Its radius (half its size).
    pub radius: f32,
    /// Main colour.
    pub colour: Rgb,
    /// Second colour.
    pub detail: Rgb,
    /// Whether it was placed on a rule-of-thirds intersection.
    pub on_thirds: bool,
}

/// Focal object forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FocalKind {
    /// A lit sphere with a shadow (a product shot).
    Orb,
    /// A rounded square with a gradient and an inner disc (an app icon, a package).
    Tile,
    /// Concentric rings (a badge, a target).
    Badge,
}

/// A solid card or button under text.
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// What it holds.
    pub role: PanelRole,
    /// Box: x0, y0, x1, y1.
    pub rect: [f32; 4],
    /// Corner radius.
    pub radius: f32,
    /// Fill.
    pub colour: Rgb,
}

/// What a panel holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PanelRole {
    /// A card under headline and body.
    Card,
    /// A call-to-action button.
    Button,
}

/// What a line of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextRole {
    /// The headline.
    Headline,
    /// Body copy.
    Body,
    /// The call to action.
    Cta,
}

/// One line of text.
#[derive(Debug, Clone, Serialize)]
pub struct TextLine {
    /// Its role.
    pub role: TextRole,
    /// The words.
    pub text: String,
    /// The face.
    pub font: FontKind,
    /// Font size in pixels (the em height).
    pub size: f32,
    /// Left end of the pen.
    pub x: f32,
    /// Baseline.
    pub baseline: f32,
    /// Ink colour.
    pub colour: Rgb,
    /// The colour behind it.
    pub ground: Rgb,
    /// WCAG contrast of ink against ground.
    pub contrast: f64,
    /// The box of its ink: x0, y0, x1, y1 (x1, y1 exclusive).
    pub ink_box: [u32; 4],
}

/// The visible properties of a design that the ground-truth function reads
/// (module docs of `synth` define each).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Properties {
    /// Width over height.
    pub aspect_ratio: f64,
    /// Hasler–Süsstrunk M3 colourfulness of the pixels.
    pub colorfulness: f64,
    /// Mean HSV saturation of the pixels, 0..1.
    pub saturation: f64,
    /// Mean luma / 255.
    pub brightness: f64,
    /// Share of pixels on a strong luma edge, scaled so 0.1 of them is 1.
    pub complexity: f64,
    /// The palette's harmony, 0..1.
    pub harmony: f64,
    /// Whether the design has any text.
    pub has_text: bool,
    /// Median WCAG contrast of the text lines (1 without text).
    pub text_contrast: f64,
    /// Share of the image inside text ink boxes.
    pub text_coverage: f64,
    /// Median text line (ink box) height over the image height.
    pub text_size: f64,
    /// 0..1 from contrast and size (0 without text).
    pub readability: f64,
    /// Closeness of the focal point to a thirds intersection, 0..1.
    pub thirds: f64,
    /// Distance of the focal point to the nearest thirds intersection,
    /// over the image diagonal (0.5 without a focal object).
    pub focal_offset: f64,
}
