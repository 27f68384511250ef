"""The GitHub REST client against the fake GitHub API on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from github_fake import BOT_LOGIN, FakeGitHub

from scorecards_sync.cortex.retry import RetryPolicy
from scorecards_sync.errors import ConfigError, GitHubError
from scorecards_sync.github.client import GitHubClient

REPO = "acme/platform"
TOKEN = "ghs_fake-token-0123456789"
FAST = RetryPolicy(max_retries=3, max_throttled_retries=3, budget_seconds=120.0, backoff_base=0.01)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def client(github: FakeGitHub, slept: list[float]) -> Iterator[GitHubClient]:
    with GitHubClient(TOKEN, api_url=github.api_url, policy=FAST, sleep=slept.append) as made:
        yield made


def test_lists_every_page_of_comments_following_link_headers(
    github: FakeGitHub, client: GitHubClient
) -> None:
    github.max_per_page = 2
    for i in range(5):
        github.add_comment(REPO, 42, f"comment {i}")
    github.add_comment(REPO, 7, "another pull request")

    comments = client.list_issue_comments(REPO, 42)

    assert [c.body for c in comments] == [f"comment {i}" for i in range(5)]
    gets = [r for r in github.requests if r.method == "GET"]
    assert [r.query.get("page", ["1"])[0] for r in gets] == ["1", "2", "3"]
    assert gets[0].headers["Accept"] == "application/vnd.github+json"
    assert gets[0].headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert gets[0].headers["User-Agent"].startswith("scorecards-sync/")


def test_create_and_update_a_comment(github: FakeGitHub, client: GitHubClient) -> None:
    created = client.create_issue_comment(REPO, 42, "first")
    assert created.user_login == BOT_LOGIN
    assert created.html_url.endswith(f"#issuecomment-{created.id}")

    updated = client.update_issue_comment(REPO, created.id, "second")

    assert updated.id == created.id
    assert [c["body"] for c in github.comments_of(REPO, 42)] == ["second"]
    assert [(r.method, r.body) for r in github.requests] == [
        ("POST", {"body": "first"}),
        ("PATCH", {"body": "second"}),
    ]


def test_pull_requests_of_a_commit(github: FakeGitHub, client: GitHubClient) -> None:
    sha = "c0ffee00" * 5
    github.add_pull(REPO, sha, 42, merged=True)

    pulls = client.pulls_for_commit(REPO, sha)

    assert [(p.number, p.merged, p.base_ref, p.merge_commit_sha) for p in pulls] == [
        (42, True, "main", sha)
    ]
    assert client.pulls_for_commit(REPO, "ab" * 20) == []
    with pytest.raises(GitHubError, match="not a commit SHA"):
        client.pulls_for_commit(REPO, "main; rm -rf /")


def test_a_pull_request_of_a_commit_carries_its_base_sha(
    github: FakeGitHub, client: GitHubClient
) -> None:
    sha, base = "c0ffee00" * 5, "ba5e0000" * 5
    github.add_pull(REPO, sha, 42, base_sha=base)
    del github.add_pull(REPO, sha, 43)["base"]["sha"]  # an answer without it: no base SHA

    pulls = client.pulls_for_commit(REPO, sha)

    assert [(p.number, p.base_ref, p.base_sha) for p in pulls] == [
        (42, "main", base),
        (43, "main", None),
    ]


def test_secondary_rate_limit_waits_as_told_then_succeeds(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.add_comment(REPO, 42, "hello")
    github.throttle_next(2, retry_after=3)

    assert [c.body for c in client.list_issue_comments(REPO, 42)] == ["hello"]
    assert slept == [3.0, 3.0]
    assert len(github.requests) == 3


def test_secondary_rate_limit_without_retry_after_waits_a_minute(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.throttle_next(1, retry_after=None)
    client.create_issue_comment(REPO, 42, "posted once the limit lifted")
    assert slept == [60.0]
    assert len(github.comments_of(REPO, 42)) == 1


def test_exhausted_primary_rate_limit_fails_at_once_saying_when(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.throttle_next(1, status=429, retry_after=None, reset_in=3600)

    with pytest.raises(GitHubError) as caught:
        client.list_issue_comments(REPO, 42)

    assert slept == []
    assert caught.value.status == 429
    assert "rate limited until" in str(caught.value)
    assert "re-run the job later" in str(caught.value)


def test_bare_429_backs_off_and_retries(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.throttle_next(1, status=429, retry_after=None, message="")
    assert client.list_issue_comments(REPO, 42) == []
    assert len(slept) == 1 and 0 <= slept[0] <= FAST.backoff_base


def test_rate_limit_that_does_not_lift_gives_up_after_the_bound(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.throttle_next(10, retry_after=2)
    with pytest.raises(GitHubError, match=r"rate limited; GitHub asks to wait 2s more.*re-run"):
        client.list_issue_comments(REPO, 42)
    assert slept == [2.0] * FAST.max_throttled_retries
    assert len(github.requests) == FAST.max_throttled_retries + 1


def test_server_errors_retried_for_reads_not_for_creates(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.fail_next(2, status=502)
    assert client.list_issue_comments(REPO, 42) == []
    assert len(slept) == 2

    github.fail_next(1, status=502)
    with pytest.raises(GitHubError) as caught:
        client.create_issue_comment(REPO, 42, "not posted twice")
    assert caught.value.status == 502
    assert [r.method for r in github.requests].count("POST") == 1


def test_server_errors_retries_are_bounded(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.fail_next(10, status=503)
    with pytest.raises(GitHubError, match="GitHub answered 503 to GET"):
        client.list_issue_comments(REPO, 42)
    assert len(github.requests) == FAST.max_retries + 1


def test_bad_token_is_never_shown(github: FakeGitHub, slept: list[float]) -> None:
    secret = "ghp_this-is-the-wrong-token-123"
    with GitHubClient(secret, api_url=github.api_url, policy=FAST, sleep=slept.append) as wrong:
        with pytest.raises(GitHubError) as caught:
            wrong.list_issue_comments(REPO, 42)
        assert secret not in repr(wrong)
    error = caught.value
    assert error.status == 401
    assert str(error) == (
        f"GitHub answered 401 to GET /repos/{REPO}/issues/42/comments: Bad credentials "
        "(the token is missing, expired or wrong)"
    )
    assert error.request_id == "FAKE:0001"
    assert all(secret not in str(v) for v in vars(error).values())
    assert slept == []


def test_missing_permission_names_the_workflow_permission(
    github: FakeGitHub, client: GitHubClient, slept: list[float]
) -> None:
    github.read_only = True
    with pytest.raises(
        GitHubError, match=r"Resource not accessible by integration.*pull-requests: write"
    ):
        client.create_issue_comment(REPO, 42, "body")
    assert slept == []


def test_too_long_comment_reports_githubs_reason(client: GitHubClient) -> None:
    with pytest.raises(GitHubError, match=r"422.*body is too long \(maximum is 65536 characters\)"):
        client.create_issue_comment(REPO, 42, "x" * 70_000)


def test_unreachable_api_retries_then_fails_without_the_token(slept: list[float]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    unreachable = GitHubClient(TOKEN, api_url=url, policy=FAST, sleep=slept.append)
    with unreachable, pytest.raises(GitHubError) as caught:
        unreachable.list_issue_comments(REPO, 42)
    assert str(caught.value).startswith(f"cannot reach GitHub at {url}")
    assert "gave up after 4 attempts" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(slept) == FAST.max_retries


def test_next_page_on_another_origin_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json=[{"id": 1, "body": "x", "user": {"login": "a"}}],
            headers={"Link": '<https://elsewhere.example/steal?page=2>; rel="next"'},
        )

    with (
        GitHubClient(
            TOKEN, api_url="https://api.github.com", transport=httpx.MockTransport(handler)
        ) as client,
        pytest.raises(GitHubError, match="refusing to send the token there"),
    ):
        client.list_issue_comments(REPO, 42)


def test_from_env_reads_token_and_api_url(github: FakeGitHub) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.api_url}
    with GitHubClient.from_env(env) as client:
        assert client.api_url == github.api_url
        assert client.list_issue_comments(REPO, 1) == []
    with pytest.raises(ConfigError, match="no GitHub token: set GITHUB_TOKEN"):
        GitHubClient.from_env({})
    with pytest.raises(ConfigError, match="must be an http"):
        GitHubClient.from_env({"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "api.github.com"})


def test_repository_must_be_owner_slash_name(client: GitHubClient) -> None:
    for bad in ("acme", "acme/platform/extra", "../etc/passwd", "acme/plat form"):
        with pytest.raises(GitHubError, match="is not an owner/name repository"):
            client.list_issue_comments(bad, 1)
