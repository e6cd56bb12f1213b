//! The shapes of the scanner's screen, drawn with embedded-graphics' primitives. The build
//! script rasterizes them (`build.rs`); the device draws the runs, not the primitives.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{
    Arc, Circle, Line, PrimitiveStyle, PrimitiveStyleBuilder, Rectangle, RoundedRectangle, Triangle,
};

/// In the order of `screen::Shape`.
pub const SHAPES: [&str; 9] = [
    "Card",
    "Tick",
    "Cross",
    "Question",
    "Chip",
    "CardLeaving",
    "Again",
    "NoEntry",
    "CardFace",
];

/// The box a shape is drawn in, centred on its point.
pub const BOX: (u32, u32) = (108, 88);

pub fn draw_shape<D: DrawTarget>(
    shape: &str,
    c: Point,
    ink: D::Color,
    target: &mut D,
) -> Result<(), D::Error> {
    let stroke = PrimitiveStyle::with_stroke(ink, 8);
    let thin = PrimitiveStyle::with_stroke(ink, 4);
    let fill = PrimitiveStyle::with_fill(ink);
    let card = |target: &mut D, at: Point| {
        RoundedRectangle::with_equal_corners(
            Rectangle::with_center(at, Size::new(70, 46)),
            Size::new(8, 8),
        )
        .into_styled(thin)
        .draw(target)
    };
    match shape {
        "Card" => card(target, c)?,
        "Tick" => {
            Line::new(c + Point::new(-32, 0), c + Point::new(-10, 24))
                .into_styled(stroke)
                .draw(target)?;
            Line::new(c + Point::new(-10, 24), c + Point::new(34, -28))
                .into_styled(stroke)
                .draw(target)?;
        }
        "Cross" => {
            Line::new(c + Point::new(-28, -28), c + Point::new(28, 28))
                .into_styled(stroke)
                .draw(target)?;
            Line::new(c + Point::new(-28, 28), c + Point::new(28, -28))
                .into_styled(stroke)
                .draw(target)?;
        }
        "Question" => {
            // A triangle with a "?" drawn in strokes (no font has one this large).
            Triangle::new(
                c + Point::new(0, -38),
                c + Point::new(-40, 34),
                c + Point::new(40, 34),
            )
            .into_styled(thin)
            .draw(target)?;
            let q = PrimitiveStyleBuilder::new()
                .stroke_color(ink)
                .stroke_width(5)
                .build();
            Arc::with_center(
                c + Point::new(0, -4),
                22,
                Angle::from_degrees(180.0),
                Angle::from_degrees(270.0),
            )
            .into_styled(q)
            .draw(target)?;
            Line::new(c + Point::new(0, 7), c + Point::new(0, 13))
                .into_styled(q)
                .draw(target)?;
            Circle::with_center(c + Point::new(0, 24), 7)
                .into_styled(fill)
                .draw(target)?;
        }
        "Chip" => {
            let body = Rectangle::with_center(c, Size::new(56, 56));
            RoundedRectangle::with_equal_corners(body, Size::new(10, 10))
                .into_styled(thin)
                .draw(target)?;
            Rectangle::with_center(c, Size::new(22, 22))
                .into_styled(fill)
                .draw(target)?;
            for i in [-18, 0, 18] {
                Line::new(c + Point::new(-28, i), c + Point::new(-11, i))
                    .into_styled(thin)
                    .draw(target)?;
                Line::new(c + Point::new(11, i), c + Point::new(28, i))
                    .into_styled(thin)
                    .draw(target)?;
            }
        }
        "CardLeaving" => {
            card(target, c + Point::new(-18, 6))?;
            Line::new(c + Point::new(8, -22), c + Point::new(40, -22))
                .into_styled(thin)
                .draw(target)?;
            Triangle::new(
                c + Point::new(50, -22),
                c + Point::new(38, -32),
                c + Point::new(38, -12),
            )
            .into_styled(fill)
            .draw(target)?;
        }
        "Again" => {
            Arc::with_center(
                c,
                64,
                Angle::from_degrees(-60.0),
                Angle::from_degrees(300.0),
            )
            .into_styled(stroke)
            .draw(target)?;
            // The arrowhead at the arc's end (-60 degrees from 3 o'clock, clockwise).
            Triangle::new(
                c + Point::new(6, -40),
                c + Point::new(28, -36),
                c + Point::new(12, -18),
            )
            .into_styled(fill)
            .draw(target)?;
        }
        "NoEntry" => {
            Circle::with_center(c, 72)
                .into_styled(stroke)
                .draw(target)?;
            Rectangle::with_center(c, Size::new(48, 12))
                .into_styled(fill)
                .draw(target)?;
        }
        "CardFace" => {
            card(target, c)?;
            for (dx, dy) in [(-22, -10), (-10, -10), (-22, 2), (-4, 2), (-16, -4)] {
                Rectangle::new(c + Point::new(dx, dy), Size::new(6, 6))
                    .into_styled(fill)
                    .draw(target)?;
            }
            Line::new(c + Point::new(6, -8), c + Point::new(24, -8))
                .into_styled(PrimitiveStyle::with_stroke(ink, 2))
                .draw(target)?;
            Line::new(c + Point::new(6, 2), c + Point::new(24, 2))
                .into_styled(PrimitiveStyle::with_stroke(ink, 2))
                .draw(target)?;
        }
        other => panic!("no shape {other}"),
    }
    Ok(())
}
