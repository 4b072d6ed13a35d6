"""Three users to @mention, so that "@alice @bob" works out of the box."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

USERS = ("alice", "bob", "carol")


def create_users(apps, schema_editor):
    User = apps.get_model("auth", "User")
    for name in USERS:
        User.objects.get_or_create(
            username=name,
            # no password: they receive e-mails, nobody logs in as them
            defaults={"email": f"{name}@example.com", "password": make_password(None)},
        )


def delete_users(apps, schema_editor):
    apps.get_model("auth", "User").objects.filter(username__in=USERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("comments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_users, delete_users)]
