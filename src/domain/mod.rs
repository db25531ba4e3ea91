//! Types every module shares: validated identifiers, secrets that never print, the header bag a
//! webhook arrives with, and the StackOne result body. Parse-don't-validate: once a value has one of
//! these types it has passed the check its constructor performs.

mod headers;
mod ids;
mod secret;
mod unified;

pub use headers::Headers;
pub use ids::{AccountId, IdError, OrderId, VendorId};
pub use secret::Secret;
pub use unified::{
    Attachment, Candidate, ContentType, ContentTypeValue, ResultStatus, ResultValue, Score,
    UnifiedResult,
};
