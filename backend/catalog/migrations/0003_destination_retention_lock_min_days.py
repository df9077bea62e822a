from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_destination_nfs'),
    ]

    operations = [
        migrations.AddField(
            model_name='destination',
            name='retention_lock_min_days',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
