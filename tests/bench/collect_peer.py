"""The peer of `make bench-collect`: a small Python asyncio collector (aiohttp)
that does what `creativeiq collect --all` does against the simulator: pages
the same endpoints with the same page sizes and the same limits (4 API
requests and 8 downloads in flight per platform, accounts at once), fetches
the same insights, statistics and results, downloads every image once,
checks it (sha256, a full decode with Pillow), stores it content-addressed,
and writes the posts and A/B arms as JSON lines.

Usage: collect_peer.py ENV_FILE SINCE UNTIL OUT_DIR; prints one JSON line
with what it collected."""
import asyncio
import hashlib
import io
import json
import os
import sys
from datetime import datetime, timezone
from urllib.parse import quote

import aiohttp
from yarl import URL
from PIL import Image

API_IN_FLIGHT = 4
DOWNLOADS_IN_FLIGHT = 8
GRAPH = "v21.0"


def read_env(path):
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


class Platform:
    def __init__(self, name, env, client, out):
        upper = name.upper()
        self.name = name
        self.token = env[{"instagram": "INSTAGRAM_ACCESS_TOKEN", "facebook": "FACEBOOK_ACCESS_TOKEN",
                          "linkedin": "LINKEDIN_ACCESS_TOKEN", "tiktok": "TIKTOK_ACCESS_TOKEN",
                          "x": "X_BEARER_TOKEN", "dribbble": "DRIBBBLE_ACCESS_TOKEN",
                          "behance": "BEHANCE_API_KEY", "optimizely": "OPTIMIZELY_TOKEN"}[name]]
        self.base = env[f"{upper}_API_URL"].rstrip("/")
        self.accounts = [a for a in env[f"{upper}_ACCOUNTS"].split(",") if a]
        self.client = client
        self.out = out
        self.api = asyncio.Semaphore(API_IN_FLIGHT)
        self.downloads = asyncio.Semaphore(DOWNLOADS_IN_FLIGHT)
        self.headers = {"Authorization": f"Bearer {self.token}"}
        if name == "linkedin":
            self.headers.update({"LinkedIn-Version": "202410", "X-Restli-Protocol-Version": "2.0.0"})

    async def call(self, path, params=None, method="GET", body=None):
        url = path if path.startswith("http") else f"{self.base}/{path}"
        params = {k: str(v) for k, v in (params or {}).items()}
        headers = dict(self.headers)
        if self.name == "behance":
            params["api_key"] = self.token
            headers.pop("Authorization")
        # A URL that already holds its query (a `next` link, a Rest.li
        # List(...)) is sent as it is.
        if "?" in url and params:
            url += "&" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
            params = None
        for attempt in range(8):
            try:
                async with self.api:
                    async with self.client.request(method, URL(url, encoded="?" in url),
                                                   params=params or None, json=body, headers=headers) as r:
                        answer = Answer(r.status, await r.read(), r.links)
            except aiohttp.ClientError:
                answer = None
            if answer is not None and answer.status < 400:
                return answer
            if answer is not None and answer.status < 500 and answer.status != 429:
                raise RuntimeError(f"{self.name} {url}: HTTP {answer.status}: {answer.body[:200]!r}")
            await asyncio.sleep(0.1 * 2 ** attempt)
        raise RuntimeError(f"{self.name} {url}: gave up")


class Answer:
    def __init__(self, status, body, links):
        self.status, self.body = status, body
        self.links = {rel: {"url": str(link["url"])} for rel, link in links.items()}

    def json(self):
        return json.loads(self.body)


class Images:
    """Every image downloaded once (by URL), checked and stored."""

    def __init__(self, out):
        self.out = out
        self.seen = {}
        self.rows = []

    async def get(self, platform, url):
        if url not in self.seen:
            self.seen[url] = asyncio.ensure_future(self._fetch(platform, url))
        return await self.seen[url]

    async def _fetch(self, platform, url):
        async with platform.downloads:
            async with platform.client.get(url) as r:
                data = await r.read()
        sha, ok = await asyncio.to_thread(check, data)
        blob = os.path.join(self.out, "blobs", sha[:2], f"{sha}.png")
        if not os.path.exists(blob):
            os.makedirs(os.path.dirname(blob), exist_ok=True)
            await asyncio.to_thread(write, blob, data)
        self.rows.append({"url": url, "sha256": sha, "bytes": len(data), "ok": ok})
        return sha


def check(data):
    sha = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
        return sha, True
    except Exception:
        return sha, False


def write(path, data):
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def parse_time(value):
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    value = value.replace("Z", "+00:00")
    if value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)


class Collector:
    def __init__(self, env, since, until, out):
        self.env, self.since, self.until, self.out = env, since, until, out
        self.images = Images(out)
        self.posts = open(os.path.join(out, "posts.ndjson"), "w")
        self.arms = open(os.path.join(out, "ab_tests.ndjson"), "w")
        self.counts = {"posts": 0, "experiments": 0, "outside": 0}

    def inside(self, t):
        return self.since <= t < self.until

    async def land(self, p, account, audience, items, image_of, time_of):
        """Keeps the items inside the window, fetches their images, writes them."""
        kept = []
        for item in items:
            if self.inside(time_of(item)):
                kept.append(item)
            else:
                self.counts["outside"] += 1
        shas = await asyncio.gather(*[self.images.get(p, image_of(i)) for i in kept if image_of(i)])
        it = iter(shas)
        for item in kept:
            sha = next(it) if image_of(item) else None
            self.posts.write(json.dumps({"platform": p.name, "account": account, "audience": audience,
                                         "image_sha256": sha, "item": item}) + "\n")
            self.counts["posts"] += 1

    def older(self, item_time):
        return item_time < self.since

    # --- one walker per platform, the same requests as the Rust adapters ---

    async def graph(self, p, account, edge, fields, follower_field, metrics, image_key, time_key):
        r = await p.call(f"{GRAPH}/{account}", {"fields": follower_field})
        audience = r.json().get(follower_field)
        r = await p.call(f"{GRAPH}/{account}/{edge}", {
            "fields": fields, "since": int(self.since.timestamp()),
            "until": int(self.until.timestamp()), "limit": 100})
        while True:
            page = r.json()
            items = page["data"]

            async def insights(item):
                ins = (await p.call(f"{GRAPH}/{item['id']}/insights", {"metric": metrics})).json()
                item["insights"] = {m["name"]: m["values"][0]["value"] for m in ins["data"]}

            await asyncio.gather(*[insights(i) for i in items])
            await self.land(p, account, audience, items, lambda i: i.get(image_key),
                            lambda i: parse_time(i[time_key]))
            nxt = page.get("paging", {}).get("next")
            if not nxt or not items:
                break
            r = await p.call(nxt)

    async def instagram(self, p, account):
        await self.graph(p, account, "media",
                         "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count",
                         "followers_count", "reach,impressions,saved,shares", "media_url", "timestamp")

    async def facebook(self, p, account):
        await self.graph(p, account, "posts",
                         "id,message,created_time,full_picture,permalink_url,shares,reactions.summary(total_count),comments.summary(total_count),promotion_status",
                         "fan_count", "post_impressions,post_impressions_unique,post_clicks",
                         "full_picture", "created_time")

    async def linkedin(self, p, account):
        org = f"urn:li:organization:{account}"
        r = await p.call(f"rest/networkSizes/{quote(org, safe='')}", {"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"})
        audience = r.json().get("firstDegreeSize")
        start = 0
        while True:
            page = (await p.call("rest/posts", {"q": "author", "author": org, "sortBy": "CREATED",
                                                "start": start, "count": 100})).json()
            items = page["elements"]
            if items:
                shares = ",".join(quote(i["id"], safe="") for i in items)
                stats = (await p.call(
                    f"rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity={quote(org, safe='')}&shares=List({shares})")).json()
                by_share = {e["share"]: e["totalShareStatistics"] for e in stats["elements"]}
                urns = [i["content"]["media"]["id"] for i in items if i.get("content")]
                found = (await p.call(f"rest/images?ids=List({','.join(quote(u, safe='') for u in urns)})")).json()
                for i in items:
                    i["statistics"] = by_share.get(i["id"])
                    if i.get("content"):
                        i["image_url"] = found["results"][i["content"]["media"]["id"]]["downloadUrl"]
            await self.land(p, account, audience, items, lambda i: i.get("image_url"),
                            lambda i: datetime.fromtimestamp(i["publishedAt"] / 1000, timezone.utc))
            total = page["paging"].get("total", 0)
            if not items or start + 100 >= total or self.older(
                    datetime.fromtimestamp(items[-1]["publishedAt"] / 1000, timezone.utc)):
                break
            start += 100

    async def tiktok(self, p, account):
        fields = "id,create_time,cover_image_url,title,video_description,like_count,comment_count,share_count,view_count,share_url"
        r = await p.call("v2/user/info/", {"fields": "open_id,follower_count", "open_id": account})
        audience = r.json()["data"]["user"]["follower_count"]
        cursor = None
        while True:
            body = {"max_count": 20}
            if cursor is not None:
                body["cursor"] = cursor
            data = (await p.call("v2/video/list/", {"fields": fields, "open_id": account},
                                 method="POST", body=body)).json()["data"]
            items = data["videos"]
            await self.land(p, account, audience, items, lambda i: i.get("cover_image_url"),
                            lambda i: parse_time(i["create_time"]))
            if not data["has_more"] or not items or self.older(parse_time(items[-1]["create_time"])):
                break
            cursor = data["cursor"]

    async def x(self, p, account):
        r = await p.call(f"2/users/{account}", {"user.fields": "public_metrics"})
        audience = r.json()["data"]["public_metrics"]["followers_count"]
        token = None
        while True:
            params = {"max_results": 100,
                      "start_time": self.since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "end_time": self.until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "tweet.fields": "created_at,public_metrics,attachments",
                      "expansions": "attachments.media_keys", "media.fields": "url,preview_image_url,type"}
            if token:
                params["pagination_token"] = token
            page = (await p.call(f"2/users/{account}/tweets", params)).json()
            media = {m["media_key"]: m for m in page.get("includes", {}).get("media", [])}
            items = page.get("data", [])
            for t in items:
                keys = t.get("attachments", {}).get("media_keys", [])
                if keys and keys[0] in media:
                    t["media_url"] = media[keys[0]].get("url") or media[keys[0]].get("preview_image_url")
            await self.land(p, account, audience, items, lambda i: i.get("media_url"),
                            lambda i: parse_time(i["created_at"]))
            token = page.get("meta", {}).get("next_token")
            if not token or not items:
                break

    async def dribbble(self, p, account):
        r = await p.call(f"v2/users/{account}")
        audience = r.json().get("followers_count")
        r = await p.call(f"v2/users/{account}/shots", {"per_page": 100})
        while True:
            items = r.json()
            await self.land(p, account, audience, items, lambda i: i["images"].get("hidpi"),
                            lambda i: parse_time(i["published_at"]))
            nxt = r.links.get("next", {}).get("url")
            if not nxt or not items or self.older(parse_time(items[-1]["published_at"])):
                break
            r = await p.call(nxt)

    async def behance(self, p, account):
        r = await p.call(f"v2/users/{account}")
        audience = r.json()["user"]["stats"]["followers"]
        page = 1
        while True:
            items = (await p.call(f"v2/users/{account}/projects", {"page": page, "per_page": 24})).json()["projects"]
            await self.land(p, account, audience, items, lambda i: i["covers"].get("original"),
                            lambda i: parse_time(i["published_on"]))
            if not items or self.older(parse_time(items[-1]["published_on"])):
                break
            page += 1

    async def optimizely(self, p, project):
        r = await p.call("v2/experiments", {"project_id": project, "per_page": 100})
        while True:
            experiments = [e for e in r.json() if self.inside(parse_time(e["created"]))]
            for e in experiments:
                results = (await p.call(f"v2/experiments/{e['id']}/results")).json()
                metrics = {m["name"]: m["results"] for m in results["metrics"]}
                arms = []
                for v in e["variations"]:
                    src = v["actions"][0]["changes"][0]["attributes"]["src"]
                    sha = await self.images.get(p, src)
                    c = metrics["conversions"].get(str(v["variation_id"]), {})
                    k = metrics["clicks"].get(str(v["variation_id"]), {})
                    arms.append({"test_id": e["id"], "variant": v["key"], "image_sha256": sha,
                                 "visitors": c.get("samples"), "conversions": c.get("value"),
                                 "clicks": k.get("value")})
                for arm in arms:
                    self.arms.write(json.dumps(arm) + "\n")
                self.counts["experiments"] += 1
            nxt = r.links.get("next", {}).get("url")
            if not nxt:
                break
            r = await p.call(nxt)

    async def run(self):
        connector = aiohttp.TCPConnector(limit=200)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
            names = ["instagram", "facebook", "linkedin", "tiktok", "x", "dribbble", "behance", "optimizely"]
            platforms = [Platform(n, self.env, client, self.out) for n in names]
            await asyncio.gather(*[getattr(self, p.name)(p, a) for p in platforms for a in p.accounts])
        self.posts.close()
        self.arms.close()
        with open(os.path.join(self.out, "images.ndjson"), "w") as f:
            for row in self.images.rows:
                f.write(json.dumps(row) + "\n")
        return dict(self.counts, images=len(self.images.rows),
                    images_ok=sum(1 for r in self.images.rows if r["ok"]))


def main():
    env_file, since, until, out = sys.argv[1:5]
    day = lambda d: datetime.strptime(d, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    os.makedirs(out, exist_ok=True)
    counts = asyncio.run(Collector(read_env(env_file), day(since), day(until), out).run())
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
