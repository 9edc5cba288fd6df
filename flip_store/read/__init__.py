"""Every read the CLI and the leaderboard make, as small functions over an engine that return
plain objects (dataclasses), never ORM rows: a view can keep, cache or serialise them freely."""
