//! (placeholder: being written on a wip branch)
