from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gridgov.accounts.scope import SYSTEM
from gridgov.cases import services
from gridgov.cases.models import ApiKey
from gridgov.core.errors import error_items
from gridgov.places.models import Place


class Command(BaseCommand):
    help = "外部系统接入密钥：create NAME [--rate N] [--place ID] 新建（最后一行输出密钥），revoke NAME 吊销，list 列出"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="新建密钥，密钥只显示这一次")
        create.add_argument("name")
        create.add_argument("--rate", type=int, default=60, help="每分钟最多请求次数（默认60）")
        create.add_argument("--place", type=int, default=None, help="只允许上报该地点及其下级（地点ID）")
        revoke = sub.add_parser("revoke", help="吊销密钥")
        revoke.add_argument("name")
        sub.add_parser("list", help="列出密钥")

    def handle(self, *args, action: str, **options) -> None:
        try:
            if action == "create":
                self._create(options["name"], options["rate"], options["place"])
            elif action == "revoke":
                key = ApiKey.objects.filter(name=options["name"]).first()
                if key is None:
                    raise CommandError(f"没有名为“{options['name']}”的密钥")
                services.apikey_revoke(by=SYSTEM, key=key)
                self.stdout.write(f"已吊销：{key}")
            else:
                for key in ApiKey.objects.select_related("place").order_by("name"):
                    state = "有效" if key.is_active else "已吊销"
                    self.stdout.write(
                        f"{key.name}\t{key.prefix}…\t{key.rate_per_minute}/分钟\t{key.place or '不限'}\t{state}"
                    )
        except ValidationError as exc:
            raise CommandError("；".join(item["message"] for item in error_items(exc))) from None

    def _create(self, name: str, rate: int, place_id: int | None) -> None:
        place = None
        if place_id is not None:
            place = Place.objects.filter(pk=place_id).first()
            if place is None:
                raise CommandError(f"地点ID {place_id} 不存在")
        key, raw = services.apikey_create(by=SYSTEM, name=name, rate_per_minute=rate, place=place)
        self.stdout.write(f"已创建：{key.name}，每分钟{key.rate_per_minute}次，范围：{place or '不限'}")
        self.stdout.write("请立即保存下面的密钥，它不会再次显示：")
        self.stdout.write(raw)
