"""The sticky pull-request comment, against the fake GitHub API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github_fake import BOT_LOGIN, FakeGitHub

from scorecards_sync.cortex.retry import RetryPolicy
from scorecards_sync.errors import GitHubError
from scorecards_sync.github.client import GitHubClient, IssueComment
from scorecards_sync.github.comments import (
    MAX_COMMENT_CHARS,
    MERGED_PULL_DELAYS,
    TRUNCATION_NOTE,
    Marker,
    compose,
    find_sticky,
    merged_pull_request,
    parse_marker,
    path_key,
    reviewed_checksum,
    reviewed_plan,
    truncate,
    upsert_sticky,
)

REPO = "acme/platform"
TOKEN = "ghs_fake-token-0123456789"
KEY = path_key(".cortex/scorecards")
CHECKSUM = "sha256:" + "ab" * 32


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"asked to wait {seconds}s for a pull request that is already there")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def client(github: FakeGitHub) -> Iterator[GitHubClient]:
    policy = RetryPolicy(max_retries=2, backoff_base=0.0)
    with GitHubClient(TOKEN, api_url=github.api_url, policy=policy, sleep=lambda _: None) as made:
        yield made


def test_path_key_is_marker_safe() -> None:
    assert path_key(".cortex/scorecards/") == ".cortex/scorecards"
    assert path_key(["teams/a", "teams/b"]) == "teams/a,teams/b"
    assert path_key("odd dir/--> x") == "odd%20dir/--%3E%20x"
    assert path_key([]) == "."


def test_path_key_is_one_key_however_the_paths_are_spelled() -> None:
    key = path_key(".cortex/scorecards")
    for spelling in ("./.cortex/scorecards/", ".cortex//scorecards", " .cortex/scorecards/. "):
        assert path_key(spelling) == key
    assert path_key(["teams/b/", "./teams/a"]) == path_key(["teams/a", "teams/b"])
    assert path_key(["teams/a", "teams/a/"]) == "teams/a"
    assert path_key(["./", ""]) == "."


def test_marker_round_trip_and_only_on_the_first_line() -> None:
    body = compose(KEY, CHECKSUM, "## Plan\n1 to create")
    assert body.startswith(f"<!-- scorecards-sync:{KEY} checksum={CHECKSUM} -->\n")
    assert parse_marker(body) == Marker(KEY, CHECKSUM)
    assert parse_marker("> " + body) is None
    assert parse_marker("Look at this:\n" + body) is None
    assert parse_marker(Marker(KEY, "").render()) == Marker(KEY, "")
    with pytest.raises(ValueError, match="cannot go in a marker"):
        compose(KEY, "x --> <script>", "body")


def test_first_run_creates_then_updates_in_place(github: FakeGitHub, client: GitHubClient) -> None:
    github.add_comment(REPO, 42, "LGTM", user="reviewer")

    first = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "plan: 1 to create")
    second = upsert_sticky(client, REPO, 42, KEY, "sha256:" + "cd" * 32, "plan: 2 to create")
    third = upsert_sticky(client, REPO, 42, KEY, "sha256:" + "cd" * 32, "plan: 2 to create")

    assert (first.action, second.action, third.action) == ("created", "updated", "unchanged")
    assert first.comment.id == second.comment.id == third.comment.id
    bodies = [c["body"] for c in github.comments_of(REPO, 42)]
    assert bodies[0] == "LGTM"
    assert len(bodies) == 2 and bodies[1].endswith("plan: 2 to create")
    writes = [r.method for r in github.requests if r.method != "GET"]
    assert writes == ["POST", "PATCH"]


def test_one_sticky_comment_per_path(github: FakeGitHub, client: GitHubClient) -> None:
    upsert_sticky(client, REPO, 42, path_key("teams/a"), CHECKSUM, "a")
    upsert_sticky(client, REPO, 42, path_key("teams/b"), CHECKSUM, "b")
    upsert_sticky(client, REPO, 42, path_key("teams/a"), CHECKSUM, "a again")
    bodies = [c["body"].split("\n", 1)[1] for c in github.comments_of(REPO, 42)]
    assert bodies == ["a again", "b"]


def test_author_filter_ignores_someone_elses_copy_of_the_marker(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.add_comment(REPO, 42, compose(KEY, "sha256:forged", "copied"), user="mallory")

    result = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "real plan", author=BOT_LOGIN)

    assert result.action == "created"
    assert reviewed_checksum(client, REPO, 42, KEY, author=BOT_LOGIN) == CHECKSUM
    assert reviewed_checksum(client, REPO, 42, KEY) == "sha256:forged"


def test_reviewed_checksum_is_none_without_a_comment(client: GitHubClient) -> None:
    assert reviewed_checksum(client, REPO, 42, KEY) is None


def test_sticky_comment_found_beyond_the_first_page(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.max_per_page = 3
    for i in range(7):
        github.add_comment(REPO, 42, f"chatter {i}")
    github.add_comment(REPO, 42, compose(KEY, CHECKSUM, "old plan"), user=BOT_LOGIN)

    result = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "new plan")

    assert result.action == "updated"
    assert len(github.comments_of(REPO, 42)) == 8


def test_lost_response_to_a_create_does_not_post_twice(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.fail_next(1, status=502)  # the first listing is retried
    github.fail_next(1, status=502, after_effect=True)  # the create lands, its answer is lost

    result = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "plan")

    assert result.action == "created"
    assert len(github.comments_of(REPO, 42)) == 1


def test_comment_deleted_between_listing_and_update_is_posted_again(
    github: FakeGitHub, client: GitHubClient
) -> None:
    first = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "old plan")
    github.delete_after_next_listing(first.comment.id)

    result = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "new plan")

    assert result.action == "created" and result.comment.id != first.comment.id
    bodies = [c["body"] for c in github.comments_of(REPO, 42)]
    assert bodies == [compose(KEY, CHECKSUM, "new plan")]
    patches = [r for r in github.requests if r.method == "PATCH"]
    assert len(patches) == 1  # the update that found no comment, then a create


def test_create_refused_by_github_is_not_masked(github: FakeGitHub, client: GitHubClient) -> None:
    github.read_only = True
    with pytest.raises(GitHubError) as caught:
        upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "plan")
    assert caught.value.status == 403


def test_huge_plan_is_truncated_under_githubs_limit(
    github: FakeGitHub, client: GitHubClient
) -> None:
    rows = "\n".join(f"| create | scorecard-{i:05d} | 12 rules |" for i in range(4000))
    body = f"## Plan\n\n```diff\n{rows}\n```\n"

    result = upsert_sticky(client, REPO, 42, KEY, CHECKSUM, body)

    text = result.comment.body
    assert len(text) <= MAX_COMMENT_CHARS
    assert text.endswith(TRUNCATION_NOTE)
    assert parse_marker(text) == Marker(KEY, CHECKSUM)
    assert text.count("```") % 2 == 0
    assert github.comments_of(REPO, 42)[0]["body"] == text


def test_truncate_leaves_short_text_alone_and_cuts_at_a_line() -> None:
    assert truncate("short") == "short"
    long = "\n".join("x" * 99 for _ in range(1000))
    cut = truncate(long, limit=1000)
    assert len(cut) <= 1000
    assert cut.endswith(TRUNCATION_NOTE)
    assert all(line == "x" * 99 for line in cut[: -len(TRUNCATION_NOTE)].split("\n"))


def test_find_sticky_picks_the_oldest() -> None:
    comments = [
        IssueComment(1, "no marker", "", "a"),
        IssueComment(2, compose(KEY, "one", "x"), "", BOT_LOGIN),
        IssueComment(3, compose(KEY, "two", "y"), "", BOT_LOGIN),
    ]
    found = find_sticky(comments, KEY)
    assert found is not None and found.id == 2
    assert find_sticky(comments, "other") is None


def test_reviewed_plan_of_a_merge_commit(github: FakeGitHub, client: GitHubClient) -> None:
    merge_sha = "c0ffee00" * 5
    github.add_pull(REPO, merge_sha, 41, merged=False, title="still open, shares the commit")
    github.add_pull(REPO, merge_sha, 42, merged=True)
    upsert_sticky(client, REPO, 42, KEY, CHECKSUM, "the reviewed plan")
    github.add_comment(REPO, 42, compose(KEY, "sha256:forged", "planted"), user="mallory")

    reviewed = reviewed_plan(client, REPO, merge_sha, KEY, sleep=no_sleep)

    assert reviewed.pull_request is not None and reviewed.pull_request.number == 42
    assert reviewed.checksum == CHECKSUM


def test_reviewed_plan_of_a_direct_push_or_an_unplanned_merge(
    github: FakeGitHub, client: GitHubClient
) -> None:
    waits: list[float] = []
    direct = reviewed_plan(client, REPO, "ab" * 20, KEY, sleep=waits.append)
    assert direct.pull_request is None and direct.checksum is None
    assert waits == list(MERGED_PULL_DELAYS)  # asked again before concluding there is none

    github.add_pull(REPO, "cd" * 20, 43, merged=True)
    unplanned = reviewed_plan(client, REPO, "cd" * 20, KEY, sleep=no_sleep)
    assert unplanned.pull_request is not None and unplanned.pull_request.number == 43
    assert unplanned.checksum is None


def test_merged_pull_request_waits_for_github_to_link_the_merge(
    github: FakeGitHub, client: GitHubClient
) -> None:
    merge_sha = "e1" * 20
    github.add_pull(REPO, merge_sha, 42)
    github.pulls_lag = 2  # the first two answers are empty, as right after a merge
    waits: list[float] = []

    pull = merged_pull_request(client, REPO, merge_sha, delays=(0.5, 1.0, 2.0), sleep=waits.append)

    assert pull is not None and pull.number == 42
    assert waits == [0.5, 1.0]
    calls = [r for r in github.requests if r.path.endswith(f"/commits/{merge_sha}/pulls")]
    assert len(calls) == 3


def test_merged_pull_request_is_only_the_one_that_made_the_commit(
    github: FakeGitHub, client: GitHubClient
) -> None:
    sha = "f2" * 20
    # Merged, and containing the commit, but its merge made another commit.
    github.add_pull(REPO, sha, 40, merge_commit_sha="0a" * 20)
    github.add_pull(REPO, sha, 41, merged=False)
    waits: list[float] = []

    assert merged_pull_request(client, REPO, sha, delays=(0.0, 0.0), sleep=waits.append) is None
    assert len(waits) == 2

    github.add_pull(REPO, sha, 42)
    pull = merged_pull_request(client, REPO, sha, sleep=no_sleep)
    assert pull is not None and pull.number == 42
