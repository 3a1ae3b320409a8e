//! Renders raw results (see rtbench-results) into reports.
