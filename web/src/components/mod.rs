//! The page's components, one a file. Each reads the `PageState` from context; `App`
//! composes them.

mod activity;
mod cards;
mod charts;
mod editor;
mod endpoint;
mod export;
mod header;
mod lessons;
mod playback;
mod rightsize;
mod scaling;
mod source;
mod toolbar;
mod traffic;

pub use activity::ActivityLog;
pub use cards::Cards;
pub use charts::Charts;
pub use editor::Editor;
pub use header::Header;
pub use lessons::LessonsPanel;
pub use rightsize::{LabState, RightsizeView, Tab, Tabs};
pub use toolbar::Toolbar;
