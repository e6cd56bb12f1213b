//! Where QR codes come from, behind one trait: a camera (nokhwa, V4L2 on Linux), image
//! files, and a folder watched for new images (a scanner or phone dropping photos).
//!
//! [`scan`] turns any source into verdicts on the desk: it decodes each frame (`qr`: a
//! camera's frames as a `qr::Stream`, within a budget; a file with every strategy) and
//! verifies each record once while it stays in view, so a code held up to a camera for two
//! seconds is one verdict, not sixty.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use image::GrayImage;

use crate::desk::{Desk, Kind, Notice};

/// One picture and where it came from (`camera:0`, `file:/path/to/photo.jpg`).
pub struct Frame {
    pub image: GrayImage,
    pub origin: String,
}

pub trait FrameSource {
    /// The next frame; `None` when the source has ended (a list of files) or `stop` was
    /// set. A frame that cannot be had is an `Err`; the source goes on after it.
    fn next_frame(&mut self, stop: &AtomicBool) -> Option<Result<Frame>>;

    /// For a device (a camera): its name. A device's failure lasts (unplugged, in use by
    /// another program), so [`scan`] reports it once, waits [`DEVICE_RETRY`] between tries,
    /// and reports when frames come again. A file source has none: each failure is one bad
    /// file, reported as such.
    fn device(&self) -> Option<&str> {
        None
    }
}

/// How long [`scan`] waits before asking a failed device again.
pub const DEVICE_RETRY: Duration = Duration::from_secs(2);

fn is_image(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    !name.starts_with('.')
        && path.extension().is_some_and(|e| {
            let e = e.to_string_lossy().to_ascii_lowercase();
            matches!(e.as_str(), "png" | "jpg" | "jpeg")
        })
}

/// One image file, within the upload's limits ([`crate::qr::read_image`]).
fn read_frame(path: &Path, follow_links: bool) -> Result<Frame> {
    let image = crate::qr::read_image(path, follow_links)?;
    Ok(Frame {
        image,
        origin: format!("file:{}", path.display()),
    })
}

/// Image files, in the order given.
pub struct Files(VecDeque<PathBuf>);

impl Files {
    pub fn new(paths: impl IntoIterator<Item = PathBuf>) -> Files {
        Files(paths.into_iter().collect())
    }
}

impl FrameSource for Files {
    fn next_frame(&mut self, stop: &AtomicBool) -> Option<Result<Frame>> {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        // Files named on the command line are the operator's own: links are followed.
        self.0.pop_front().map(|p| read_frame(&p, true))
    }
}

/// New images in a folder, as the kernel reports them (inotify): a file is read once it is
/// closed after writing, or renamed into the folder.
pub struct Folder {
    _watcher: notify::RecommendedWatcher,
    events: mpsc::Receiver<notify::Result<notify::Event>>,
    ready: VecDeque<PathBuf>,
}

impl Folder {
    pub fn watch(dir: &Path) -> Result<Folder> {
        use notify::Watcher;
        let (tx, events) = mpsc::channel();
        let mut watcher = notify::recommended_watcher(tx)?;
        watcher
            .watch(dir, notify::RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch {}", dir.display()))?;
        Ok(Folder {
            _watcher: watcher,
            events,
            ready: VecDeque::new(),
        })
    }
}

impl FrameSource for Folder {
    fn next_frame(&mut self, stop: &AtomicBool) -> Option<Result<Frame>> {
        use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
        use notify::EventKind;
        loop {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Some(path) = self.ready.pop_front() {
                // Anyone who can write into the folder could drop a link there.
                return Some(read_frame(&path, false));
            }
            let event = match self.events.recv_timeout(Duration::from_millis(500)) {
                Ok(Ok(event)) => event,
                Ok(Err(e)) => return Some(Err(e.into())),
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            };
            let complete = matches!(
                event.kind,
                EventKind::Access(AccessKind::Close(AccessMode::Write))
                    | EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            );
            if complete {
                self.ready
                    .extend(event.paths.into_iter().filter(|p| is_image(p)));
            }
        }
    }
}

/// A camera through nokhwa (V4L2 on Linux): frames at its highest resolution, in grey.
/// Opened on the first frame asked for and again after any failure, so a camera plugged in
/// late, or unplugged and plugged back, is picked up without a restart.
pub struct Camera {
    index: u32,
    camera: Option<nokhwa::Camera>,
    origin: String,
}

impl Camera {
    pub fn new(index: u32) -> Camera {
        Camera {
            index,
            camera: None,
            origin: format!("camera:{index}"),
        }
    }

    fn open(index: u32) -> Result<nokhwa::Camera> {
        use nokhwa::pixel_format::LumaFormat;
        use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
        let format =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestResolution);
        let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), format)
            .with_context(|| format!("cannot open camera {index}"))?;
        camera
            .open_stream()
            .with_context(|| format!("cannot start camera {index}"))?;
        Ok(camera)
    }

    fn frame(&mut self) -> Result<GrayImage> {
        let camera = match &mut self.camera {
            Some(camera) => camera,
            None => self.camera.insert(Camera::open(self.index)?),
        };
        let buffer = camera.frame()?;
        let decoded = buffer.decode_image::<nokhwa::pixel_format::LumaFormat>()?;
        let (width, height) = (decoded.width(), decoded.height());
        GrayImage::from_raw(width, height, decoded.into_raw())
            .context("camera frame of the wrong size")
    }
}

impl FrameSource for Camera {
    fn next_frame(&mut self, stop: &AtomicBool) -> Option<Result<Frame>> {
        if stop.load(Ordering::Relaxed) {
            return None;
        }
        let frame = self.frame().map(|image| Frame {
            image,
            origin: self.origin.clone(),
        });
        if frame.is_err() {
            // Open it afresh next time: the stream of a camera that failed stays failed.
            self.camera = None;
        }
        Some(frame)
    }

    fn device(&self) -> Option<&str> {
        Some(&self.origin)
    }
}

/// A record seen again within this time, from the same source, is the same showing.
pub const SAME_SHOWING: Duration = Duration::from_secs(3);

/// Verifies every record the source shows, once per showing, until the source ends or
/// `stop` is set.
pub fn scan(source: &mut dyn FrameSource, desk: &Desk, stop: &AtomicBool) {
    let mut last: Option<(Vec<u8>, Instant)> = None;
    let mut stream = crate::qr::Stream::new(crate::qr::FRAME_RETRY_BUDGET);
    let mut failing = false;
    while let Some(frame) = source.next_frame(stop) {
        let frame = match (frame, source.device()) {
            (Ok(frame), _) => frame,
            (Err(e), Some(device)) => {
                if !failing {
                    desk.announce(
                        Kind::SourceUnavailable,
                        device,
                        Notice::new("notice-source-unavailable").arg("detail", format!("{e:#}")),
                    );
                    failing = true;
                }
                let since = Instant::now();
                while since.elapsed() < DEVICE_RETRY && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                }
                continue;
            }
            (Err(e), None) => {
                desk.announce(
                    Kind::QrUnreadable,
                    "file",
                    Notice::new("notice-qr-unreadable").arg("detail", format!("{e:#}")),
                );
                continue;
            }
        };
        if failing {
            desk.announce(
                Kind::SourceBack,
                &frame.origin,
                Notice::new("notice-source-back"),
            );
            failing = false;
        }
        // A camera's next frame is coming: a stream, within the budget. A file is all there
        // is of its picture: every strategy.
        let payloads = if source.device().is_some() {
            stream.decode(frame.image).payloads
        } else {
            crate::qr::decode(frame.image)
        };
        let record = match crate::qr::single_record(payloads) {
            Ok(record) => record,
            // A camera sees no code most of the time; a file without one is worth a word.
            Err(e) => {
                if frame.origin.starts_with("file:") {
                    desk.announce(
                        Kind::QrUnreadable,
                        &frame.origin,
                        Notice::new("notice-qr-unreadable").arg("detail", &e),
                    );
                }
                continue;
            }
        };
        let repeat = last
            .as_ref()
            .is_some_and(|(r, at)| *r == record && at.elapsed() < SAME_SHOWING);
        last = Some((record.clone(), Instant::now()));
        if !repeat {
            desk.printed(&record, &frame.origin);
        }
    }
}
